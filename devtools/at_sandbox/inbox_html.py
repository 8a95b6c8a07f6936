"""The inbox as a small HTML page. Every value is escaped, and the page runs no script.

Message text is whatever a client sent, so it is treated as hostile: html.escape on every
value, a CSP that allows nothing but the page's own inline style (by hash), and nosniff.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from devtools.at_sandbox.inbox import InboxMessage

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "td.text{white-space:pre-wrap;word-break:break-word}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_COLUMNS = ("Received", "To", "From", "Status", "Delivery", "Cost", "Message id", "Message")


def _row(message: InboxMessage) -> str:
    cells = (
        message.received_at.isoformat(timespec="seconds"),
        message.to,
        message.sender or "",
        message.status,
        message.delivery_status or "",
        message.cost,
        message.message_id,
    )
    tds = "".join(f"<td>{escape(cell)}</td>" for cell in cells)
    return f'<tr>{tds}<td class="text">{escape(message.message)}</td></tr>'


def render_inbox(messages: list[InboxMessage], total: int, number: str | None) -> str:
    heading = f"{total} message(s)" + (f" to {number}" if number else "")
    head = "".join(f"<th>{escape(c)}</th>" for c in _COLUMNS)
    rows = "\n".join(_row(m) for m in messages)
    shown = f"<p>Newest {len(messages)} shown.</p>" if len(messages) < total else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<title>Africa's Talking sandbox inbox</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>Sandbox inbox: {escape(heading)}</h1>"
        '<form method="get"><label>Number <input name="number" value="'
        f'{escape(number or "")}"></label> <button>Filter</button></form>'
        f"{shown}<table><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>"
        "</body></html>"
    )
