// GraphiQL's login and fetcher. A file, not inline, so the page keeps a CSP without
// 'unsafe-inline'. The login is Authorization Code + PKCE (S256) against Keycloak as a
// public client, by a full-page redirect back to this page; the access token lives in this
// tab's sessionStorage only and never in a URL. Queries and mutations go over POST with
// `Authorization: Bearer`; subscriptions over graphql-transport-ws with the token in
// connection_init's payload, as the server expects (api/graphql/endpoint.py).
(function () {
  "use strict";

  var page = document.body.dataset;
  var issuer = page.issuer;
  var clientId = page.clientId;
  var endpoint = page.endpoint;
  var redirectUri = window.location.origin + window.location.pathname;
  var TOKEN = "duka.graphiql.token";
  var PENDING = "duka.graphiql.login";
  var wsClient = null;

  function $(id) {
    return document.getElementById(id);
  }

  function status(text) {
    $("status").textContent = text;
  }

  function base64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) {
      text += String.fromCharCode(bytes[i]);
    }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString() {
    return base64url(crypto.getRandomValues(new Uint8Array(32)));
  }

  function claims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part));
    } catch (e) {
      return {};
    }
  }

  function storedToken() {
    var token = sessionStorage.getItem(TOKEN);
    if (!token) {
      return null;
    }
    var exp = claims(token).exp;
    if (typeof exp === "number" && exp * 1000 <= Date.now()) {
      sessionStorage.removeItem(TOKEN);
      return null;
    }
    return token;
  }

  function showLoggedOut(message) {
    sessionStorage.removeItem(TOKEN);
    if (wsClient) {
      wsClient.dispose();
      wsClient = null;
    }
    status(message);
    $("login").hidden = false;
    $("logout").hidden = true;
  }

  async function startLogin() {
    if (!window.isSecureContext || !crypto.subtle) {
      showLoggedOut("Logging in needs a secure page: open GraphiQL over https or on localhost.");
      return;
    }
    var verifier = randomString();
    var state = randomString();
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    sessionStorage.setItem(PENDING, JSON.stringify({ state: state, verifier: verifier }));
    var query = new URLSearchParams({
      client_id: clientId,
      response_type: "code",
      redirect_uri: redirectUri,
      scope: "openid",
      state: state,
      code_challenge: base64url(new Uint8Array(digest)),
      code_challenge_method: "S256",
    });
    window.location.assign(issuer + "/protocol/openid-connect/auth?" + query.toString());
  }

  // Back from Keycloak: the answer is taken out of the address bar before anything else.
  async function finishLogin(params) {
    window.history.replaceState(null, "", window.location.pathname);
    var pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    sessionStorage.removeItem(PENDING);
    if (!pending || params.get("state") !== pending.state) {
      // Someone else's code (login CSRF), or a stale tab: refuse it.
      throw new Error("The login answer does not belong to this page (state mismatch).");
    }
    if (params.get("error")) {
      throw new Error(params.get("error_description") || params.get("error"));
    }
    var answer = await fetch(issuer + "/protocol/openid-connect/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: clientId,
        code: params.get("code") || "",
        redirect_uri: redirectUri,
        code_verifier: pending.verifier,
      }),
    });
    var body = await answer.json();
    if (!answer.ok || !body.access_token) {
      throw new Error(body.error_description || body.error || "The token request failed.");
    }
    sessionStorage.setItem(TOKEN, body.access_token);
  }

  function isSubscription(params, opts) {
    // GraphiQL hands over the parsed document, but it is parsed a moment after each edit:
    // it is used only when it is the text being sent. Otherwise (GraphiQL's own
    // introspection, a run right after an edit) the named operation's keyword, or the
    // document's first one, comments dropped.
    var ast = opts && opts.documentAST;
    if (ast && ast.definitions && ast.loc && ast.loc.source.body === params.query) {
      var operations = ast.definitions.filter(function (d) {
        return d.kind === "OperationDefinition";
      });
      var chosen = operations.find(function (d) {
        return !params.operationName || (d.name && d.name.value === params.operationName);
      });
      return !!chosen && chosen.operation === "subscription";
    }
    var source = String(params.query || "").replace(/#[^\n\r]*/g, "");
    if (params.operationName) {
      var name = String(params.operationName).replace(/[^_0-9A-Za-z]/g, "");
      return new RegExp("\\bsubscription\\s+" + name + "\\b").test(source);
    }
    return /^\s*subscription\b/.test(source);
  }

  function socket() {
    if (!wsClient) {
      var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      wsClient = graphqlWs.createClient({
        url: scheme + "//" + window.location.host + endpoint,
        lazy: true,
        connectionParams: function () {
          return { Authorization: "Bearer " + storedToken() };
        },
      });
    }
    return wsClient;
  }

  function subscribe(params) {
    return {
      subscribe: function (observer) {
        var sink = typeof observer === "function" ? { next: observer } : observer;
        var dispose = socket().subscribe(
          { query: params.query, variables: params.variables, operationName: params.operationName },
          {
            next: function (value) {
              sink.next(value);
            },
            error: function (error) {
              var reason =
                error && error.code ? "closed (" + error.code + " " + (error.reason || "") + ")" : String(error);
              if (sink.error) {
                sink.error(new Error("The subscription's WebSocket " + reason));
              }
            },
            complete: function () {
              if (sink.complete) {
                sink.complete();
              }
            },
          }
        );
        return { unsubscribe: dispose };
      },
    };
  }

  async function post(params) {
    var token = storedToken();
    if (!token) {
      showLoggedOut("The session has ended: log in again.");
      return { errors: [{ message: "Not logged in: use the Log in button above." }] };
    }
    var answer = await fetch(endpoint, {
      method: "POST",
      credentials: "omit",
      headers: {
        Accept: "application/graphql-response+json, application/json",
        "Content-Type": "application/json",
        Authorization: "Bearer " + token,
      },
      body: JSON.stringify(params),
    });
    if (answer.status === 401) {
      showLoggedOut("The token was refused (expired?): log in again.");
    }
    return answer.json();
  }

  function fetcher(params, opts) {
    return isSubscription(params, opts) ? subscribe(params) : post(params);
  }

  function render(token) {
    var who = claims(token);
    status("Logged in as " + (who.preferred_username || who.sub || "?") + " (token in this tab only)");
    $("login").hidden = true;
    $("logout").hidden = false;
    var root = ReactDOM.createRoot($("graphiql"));
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        // The token is the page's business: no headers editor, nothing persisted.
        isHeadersEditorEnabled: false,
        shouldPersistHeaders: false,
      })
    );
  }

  $("login").addEventListener("click", function () {
    startLogin().catch(function (error) {
      showLoggedOut("Login failed: " + error.message);
    });
  });
  $("logout").addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN);
    window.location.replace(window.location.pathname);
  });

  async function main() {
    var params = new URLSearchParams(window.location.search);
    if (params.has("code") || params.has("error")) {
      await finishLogin(params);
    }
    var token = storedToken();
    if (token) {
      render(token);
    } else {
      showLoggedOut("Log in to run queries with your own roles.");
    }
  }

  main().catch(function (error) {
    showLoggedOut("Login failed: " + error.message);
  });
})();
