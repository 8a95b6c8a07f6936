"""Asking the provider whether a message reached it, for sends whose outcome is unknown.

Africa's Talking offers no such query (and no idempotency key), so in production there is
no lookup: the reconciler relies on delivery reports, then on an operator. The local
sandbox keeps an inbox of everything it accepted, which settles the question for sure.
"""

from __future__ import annotations

import httpx

from duka.core.settings import Settings
from duka.notifications.reconcile import SentLookup
from flows.settings import SmsFlowSettings

# The sandbox answers at most this many messages per number (its own cap).
_INBOX_LIMIT = 1000


class SandboxInboxLookup:
    def __init__(
        self,
        base_url: str,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport
        )

    async def message_ids(self, recipient: str, body: str) -> list[str] | None:
        try:
            response = await self._client.get(
                "/_sandbox/inbox", params={"number": recipient, "limit": _INBOX_LIMIT}
            )
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list) or data.get("evicted"):
            # An inbox that dropped messages cannot prove that one is missing.
            return None
        found = [
            m["messageId"]
            for m in messages
            if isinstance(m, dict)
            and m.get("to") == recipient
            and m.get("message") == body
            and isinstance(m.get("messageId"), str)
        ]
        return list(reversed(found))  # the inbox lists newest first

    async def aclose(self) -> None:
        await self._client.aclose()


def lookup_from_settings(settings: Settings, sms: SmsFlowSettings) -> SentLookup | None:
    if sms.unknown_lookup == "none":
        return None
    if settings.at_base_url is None:
        raise ValueError("DUKA_SMS_UNKNOWN_LOOKUP=sandbox_inbox needs DUKA_AT_BASE_URL")
    return SandboxInboxLookup(settings.at_base_url)
