from __future__ import annotations

import base64
import hashlib
import re

from devtools.at_sandbox.inbox import InboxMessage
from devtools.at_sandbox.inbox_html import HEADERS, render_inbox

HOSTILE = '<script>alert(\'x\')</script>" onmouseover="x" &amp; <img src=x>'


def _message(text: str, sender: str | None = None) -> InboxMessage:
    return InboxMessage(
        message_id="ATXid_<b>",
        to="+254711000001",
        sender=sender,
        message=text,
        status="Success",
        status_code=101,
        cost="KES 0.8000",
    )


def test_every_value_is_escaped() -> None:
    page = render_inbox([_message(HOSTILE, sender="<i>x</i>")], 1, number='"><svg>')
    assert "<script>" not in page
    assert "<img" not in page
    assert "<svg>" not in page
    assert "<i>" not in page
    assert "ATXid_<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&amp;amp;" in page
    assert 'value="&quot;&gt;&lt;svg&gt;"' in page


def test_the_page_counts_and_says_when_it_shows_only_the_newest() -> None:
    page = render_inbox([_message("a")], 5, None)
    assert "5 message(s)" in page
    assert "Newest 1 shown." in page
    assert "Newest" not in render_inbox([_message("a")], 1, None)


def test_csp_allows_exactly_the_pages_own_style_and_nothing_else() -> None:
    page = render_inbox([], 0, None)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    csp = HEADERS["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert "script" not in csp
    assert HEADERS["X-Content-Type-Options"] == "nosniff"
