// The end of Swagger UI's OAuth2 popup: hand the authorization code (or the error) back to
// the docs page that opened this window, then close. A file, not inline, for the CSP.
(function () {
  "use strict";

  function show(text) {
    document.getElementById("status").textContent = text;
  }

  var opener = window.opener;
  var pending = opener && opener.swaggerUIRedirectOauth2;
  if (!pending) {
    show("No docs page is waiting for this login. Start it again from /docs.");
    return;
  }
  var flow = pending.auth.schema.get("flow");
  var params = new URLSearchParams(window.location.search.replace(/^[?]/, ""));
  var authId = pending.auth.name;

  function fail(message) {
    pending.errCb({ authId: authId, source: "auth", level: "error", message: message });
    show(message);
  }

  if (flow !== "authorizationCode" && flow !== "authorization_code" && flow !== "accessCode") {
    fail("These docs log in with the authorization code flow only.");
  } else if (params.get("state") !== pending.state) {
    // Someone else's code (login CSRF): refuse it rather than warn and carry on.
    fail("The login answer does not belong to this page (state mismatch); try again.");
  } else if (params.get("error")) {
    fail(params.get("error_description") || params.get("error"));
  } else if (!params.get("code")) {
    fail("The identity provider sent no authorization code.");
  } else {
    delete pending.state;
    pending.auth.code = params.get("code");
    pending.callback({ auth: pending.auth, redirectUrl: pending.redirectUrl });
    window.close();
  }
})();
