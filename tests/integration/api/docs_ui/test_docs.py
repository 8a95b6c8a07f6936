"""The self-hosted API docs: served locally, under a strict content security policy."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


def assert_framing_denied(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_docs_page_has_a_strict_csp_and_no_inline_script(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert_framing_denied(r)
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    html = r.text
    assert html.count("<script") == html.count('<script src="/docs/') == 2
    assert "http://" not in html
    assert "https://" not in html
    assert 'data-openapi-url="/openapi.json"' in html


@pytest.mark.parametrize(
    ("path", "media", "marker"),
    [
        ("/docs/vendor/swagger-ui-bundle.js", "javascript", "SwaggerUIBundle"),
        ("/docs/vendor/swagger-ui.css", "text/css", ".swagger-ui"),
        ("/docs/assets/swagger-init.js", "javascript", "document.body.dataset.openapiUrl"),
    ],
)
async def test_docs_assets_are_served_locally(
    client: httpx.AsyncClient, path: str, media: str, marker: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert media in r.headers["content-type"]
    assert marker in r.text
    assert_framing_denied(r)
    assert "unsafe-inline" not in r.headers["content-security-policy"]
