"""GET /graphql's GraphiQL page on the app: its headers, only same-origin scripts, its own
assets served, a clear 503 without the bundles, and no page at all when turned off. The
login itself runs in a real browser: test_graphiql_browser.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from api.graphiql import router as graphiql
from api.main import create_app
from duka.core.settings import Settings
from duka.db.engine import Database

pytestmark = pytest.mark.anyio

ClientFor = Callable[..., httpx.AsyncClient]
ISSUER = "https://sso.example.com/realms/duka"


@pytest.fixture
async def client_for(db_settings: Settings, db: Database) -> AsyncIterator[ClientFor]:
    made: list[httpx.AsyncClient] = []

    def make(**overrides: object) -> httpx.AsyncClient:
        app = create_app(db_settings.model_copy(update={"oidc_issuer": ISSUER, **overrides}))
        app.state.db = db
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        made.append(httpx.AsyncClient(transport=transport, base_url="http://duka.test"))
        return made[-1]

    yield make
    for c in made:
        await c.aclose()


async def test_the_page_has_a_strict_csp_and_only_same_origin_scripts(
    client_for: ClientFor,
) -> None:
    page = await client_for().get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self' ws://duka.test https://sso.example.com; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    assert page.headers["cross-origin-opener-policy"] == "same-origin"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts, page.text
    for attrs, body in scripts:
        assert body == ""
        assert re.fullmatch(r' src="/graphiql/(vendor|assets)/[\w.-]+\.js"', attrs), attrs
    assert "<style" not in page.text
    assert 'data-client-id="duka-swagger"' in page.text


async def test_the_pages_scripts_and_styles_are_served(client_for: ClientFor) -> None:
    c = client_for()
    page = await c.get("/graphql", headers={"accept": "text/html"})
    assets = re.findall(r'(?:src|href)="(/graphiql/[^"]+)"', page.text)
    assert len(assets) == len(graphiql.SCRIPTS) + len(graphiql.STYLES)
    for url in assets:
        r = await c.get(url)
        assert r.status_code == 200, url
        kind = "javascript" if url.endswith(".js") else "css"
        assert kind in r.headers["content-type"], (url, r.headers["content-type"])
    init = (await c.get("/graphiql/assets/graphiql-init.js")).text
    assert 'code_challenge_method: "S256"' in init
    assert "connection_init" in init or "connectionParams" in init


async def test_without_the_bundles_the_page_names_the_make_target(
    client_for: ClientFor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(graphiql, "VENDOR_DIR", tmp_path / "vendor")
    c = client_for()
    page = await c.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 503
    assert page.headers["content-type"] == "application/problem+json"
    problem = page.json()
    assert problem["type"] == "urn:duka:problem:graphiql-unavailable"
    assert "make graphiql" in problem["detail"]
    assert (await c.get("/graphiql/vendor/graphiql.min.js")).status_code == 404
    # The API itself is unaffected: POST /graphql still answers (401 without a token).
    assert (await c.post("/graphql", json={"query": "{ __typename }"})).status_code == 401


async def test_the_page_stays_out_of_the_openapi_document(client_for: ClientFor) -> None:
    spec = (await client_for().get("/openapi.json")).json()
    assert not [path for path in spec["paths"] if "graph" in path]


async def test_turned_off_there_is_no_page_and_no_assets(client_for: ClientFor) -> None:
    c = client_for(graphql_ide=False)
    assert (await c.get("/graphql", headers={"accept": "text/html"})).status_code == 404
    assert (await c.get("/graphiql/assets/graphiql-init.js")).status_code == 404
