// Loaded from a file, not inline, so the docs page keeps a CSP without 'unsafe-inline'.
window.addEventListener("load", function () {
  var page = document.body.dataset;
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Must match a redirect URI registered for the docs client in Keycloak.
    oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect",
  });
  if (page.oauthClientId) {
    // A public client: no secret in the page; PKCE (S256) binds the code to this tab.
    window.ui.initOAuth({
      clientId: page.oauthClientId,
      usePkceWithAuthorizationCodeGrant: true,
      scopes: "openid",
    });
  }
});
