"""GraphiQL's page and CSP builders: no inline script or style, the login's data, and a
policy that lets the page reach itself, its WebSocket origin and the issuer, nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from api.graphiql.router import (
    SCRIPTS,
    VENDOR_FILES,
    graphiql_csp,
    missing_assets,
    page_html,
    ws_origin,
)

ISSUER = "https://sso.example.com:8443/realms/duka"


def directives(csp: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in csp.split(";"))


def test_the_policy_allows_self_the_apps_websocket_and_the_issuer_only() -> None:
    csp = directives(graphiql_csp(ISSUER, "wss://duka.example.com"))
    assert csp["connect-src"] == "'self' wss://duka.example.com https://sso.example.com:8443"
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'none'"
    assert "unsafe" not in graphiql_csp(ISSUER, None)


def test_without_a_usable_host_the_policy_keeps_self_and_the_issuer() -> None:
    csp = directives(graphiql_csp(ISSUER, None))
    assert csp["connect-src"] == "'self' https://sso.example.com:8443"


def test_the_websocket_origin_follows_the_scheme_and_refuses_odd_hosts() -> None:
    assert ws_origin("https", "duka.example.com") == "wss://duka.example.com"
    assert ws_origin("http", "127.0.0.1:8000") == "ws://127.0.0.1:8000"
    assert ws_origin("http", "[::1]:8000") == "ws://[::1]:8000"
    for hostile in ("evil.example; script-src *", "a b", "", "x.example:8000/path", "x'y"):
        assert ws_origin("http", hostile) is None, hostile


def test_the_page_has_no_inline_script_or_style() -> None:
    html = page_html(ISSUER, "duka-swagger")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs for attrs, _ in scripts] == [f' src="{src}"' for src in SCRIPTS]
    assert all(body == "" for _, body in scripts)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert "//" not in re.sub(r"https://sso\.example\.com:8443/realms/duka", "", html)


def test_the_page_carries_the_login_data_escaped() -> None:
    html = page_html(ISSUER, 'client"><script>x')
    assert f'data-issuer="{ISSUER}"' in html
    assert 'data-client-id="client&quot;&gt;&lt;script&gt;x"' in html
    assert 'data-endpoint="/graphql"' in html


def test_missing_assets_are_named(tmp_path: Path) -> None:
    assert missing_assets(tmp_path) == list(VENDOR_FILES)
    for name in VENDOR_FILES[1:]:
        (tmp_path / name).write_text("x")
    assert missing_assets(tmp_path) == [VENDOR_FILES[0]]
    (tmp_path / VENDOR_FILES[0]).write_text("x")
    assert missing_assets(tmp_path) == []
