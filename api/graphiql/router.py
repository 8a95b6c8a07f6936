"""Self-hosted GraphiQL at GET /graphql: no CDN, no inline script or style, strict CSP.

GraphiQL 3 is used, not 5: the 3.x line ships UMD bundles (graphiql.min.js/.css) that load
from plain <script> tags beside React 18's UMD builds, so the page needs nothing beyond
script-src 'self'. GraphiQL 5 is ESM around the Monaco editor, whose web workers and
runtime-injected <style> elements would need worker-src blob: and style-src
'unsafe-inline'. The bundles are pinned in deploy/graphiql/ and fetched by `make graphiql`
into vendor/ (git-ignored, carried into the image); without them the page answers 503 with
a problem document naming that target, never a broken page.

The login is Authorization Code + PKCE (S256) against the issuer, as a public client (the
docs' one: no secret in the page), by a full-page redirect that comes back to /graphql
itself; static/graphiql-init.js checks the state, swaps the code for a token at the
issuer's token endpoint, drops the code from the address bar and keeps the token in
sessionStorage. So the page may connect to the issuer's origin, and to its own WebSocket
origin for subscriptions (graphql-transport-ws, the token in connection_init).
"""

from __future__ import annotations

import os
import re
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from api.core.problems import problem_response
from duka.core.settings import Settings

PATH = "/graphql"
VENDOR_DIR = Path(__file__).parent / "vendor"
OWN_DIR = Path(__file__).parent / "static"
VENDOR_URL = "/graphiql/vendor"
ASSETS_URL = "/graphiql/assets"
# Load order matters: React before ReactDOM before GraphiQL; our module last.
SCRIPTS = (
    f"{VENDOR_URL}/react.production.min.js",
    f"{VENDOR_URL}/react-dom.production.min.js",
    f"{VENDOR_URL}/graphql-ws.min.js",
    f"{VENDOR_URL}/graphiql.min.js",
    f"{ASSETS_URL}/graphiql-init.js",
)
STYLES = (f"{VENDOR_URL}/graphiql.min.css", f"{ASSETS_URL}/graphiql-page.css")
VENDOR_FILES = tuple(
    url.removeprefix(VENDOR_URL + "/") for url in (*SCRIPTS, *STYLES) if url.startswith(VENDOR_URL)
)
FETCH_TARGET = "make graphiql"
# A Host header is the client's to choose: only a plain host[:port] goes into the CSP.
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def ws_origin(scheme: str, host: str) -> str | None:
    """The app's own WebSocket origin (wss behind https), or None for a host not to echo."""
    if not _HOST.match(host):
        return None
    return f"{'wss' if scheme == 'https' else 'ws'}://{host}"


def graphiql_csp(issuer: str, ws: str | None) -> str:
    connect = " ".join(source for source in ("'self'", ws, _origin(issuer)) if source)
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self' data:; connect-src {connect}; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def missing_assets(vendor: Path | None = None) -> list[str]:
    folder = VENDOR_DIR if vendor is None else vendor
    return [name for name in VENDOR_FILES if not (folder / name).is_file()]


def page_html(issuer: str, client_id: str) -> str:
    styles = "".join(f'<link rel="stylesheet" href="{href}">' for href in STYLES)
    scripts = "".join(f'<script src="{src}"></script>' for src in SCRIPTS)
    data = (
        f'data-issuer="{escape(issuer, quote=True)}" '
        f'data-client-id="{escape(client_id, quote=True)}" data-endpoint="{PATH}"'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        # No /favicon.ico request (a 404 in the console on every load).
        '<link rel="icon" href="data:,">'
        f"<title>Duka GraphQL - GraphiQL</title>{styles}</head>"
        f"<body {data}>"
        '<header id="session"><strong>Duka GraphQL</strong>'
        '<span id="status">Loading…</span>'
        '<button id="login" type="button" hidden>Log in with Keycloak</button>'
        '<button id="logout" type="button" hidden>Log out</button></header>'
        '<main id="graphiql"></main>'
        f"{scripts}</body></html>"
    )


class _OptionalStaticFiles(StaticFiles):
    """Starlette checks the folder on the first request and fails it (a 500) when absent;
    a missing vendor/ must mean 404s for its files and the page's 503, nothing worse."""

    async def check_config(self) -> None:
        if self.directory is not None and os.path.isdir(self.directory):  # noqa: ASYNC240
            await super().check_config()


def mount(app: FastAPI, settings: Settings) -> None:
    """GET /graphql serves the page; mount it before the GraphQL router, which takes POST."""
    issuer = settings.oidc_issuer_url
    html = page_html(issuer, settings.oidc_docs_client_id)
    router = APIRouter(include_in_schema=False)

    @router.get(PATH, response_model=None)
    async def graphiql(request: Request) -> HTMLResponse | JSONResponse:
        if "text/html" not in request.headers.get("accept", ""):
            # Only a browser gets the page; a GraphQL client that GETs learns the method.
            return problem_response(
                request,
                status=405,
                slug="method-not-allowed",
                title="Method not allowed",
                detail="GraphQL operations are POSTed to /graphql; GET serves the GraphiQL "
                "page to browsers (Accept: text/html).",
                headers={"Allow": "POST"},
            )
        missing = missing_assets()
        if missing:
            return problem_response(
                request,
                status=503,
                slug="graphiql-unavailable",
                title="GraphiQL is not installed",
                detail=f"GraphiQL's bundles are missing ({', '.join(missing)}): run "
                f"`{FETCH_TARGET}` and restart. The GraphQL endpoint itself answers POST.",
            )
        ws = ws_origin(request.url.scheme, request.headers.get("host", ""))
        return HTMLResponse(
            html,
            headers={
                "Content-Security-Policy": graphiql_csp(issuer, ws),
                # A full-page login, no popup: the strictest opener policy holds.
                "Cross-Origin-Opener-Policy": "same-origin",
            },
        )

    app.include_router(router)
    # Without `make graphiql` the app still starts; the page says why.
    vendor = _OptionalStaticFiles(directory=VENDOR_DIR, check_dir=False)
    app.mount(VENDOR_URL, vendor, name="graphiql-vendor")
    app.mount(ASSETS_URL, StaticFiles(directory=OWN_DIR), name="graphiql-assets")
