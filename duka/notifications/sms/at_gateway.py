"""`SmsGateway` adapter for Africa's Talking, through its official SDK.

The SDK is synchronous (`requests`), so each send runs in one of the gateway's own
`max_concurrency` worker threads, and the event loop never blocks. Each worker thread keeps
its connection to AT alive between sends (duka/notifications/sms/at_session.py). A caller cancelled
during a send still waits for it: the SDK call is bounded by its timeouts, and letting it
finish keeps the outcome knowable. The threads are the gateway's own (not the event loop's
default pool, nor anyio's, whose idle threads end after 10 s): they and their connections
last as long as the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import anyio

from duka.core.settings import Settings
from duka.notifications.sms.at_errors import classify_exception
from duka.notifications.sms.at_session import KeepAliveSMSService
from duka.notifications.sms.at_status import classify_send_response
from duka.notifications.sms.gateway import SendOutcome, SendResult
from duka.notifications.sms.loopback import is_loopback

log = logging.getLogger(__name__)

# The SDK's own check (it raises ValueError before sending); done here first so that a
# ValueError from the SDK call can only mean trouble after the request left.
_SDK_PHONE = re.compile(r"^\+\d{1,3}\d{3,}$")
_CONNECT_TIMEOUT_S = 3.05


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Africa's Talking base URL must be http(s)://host[:port]: {base_url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        # The API key travels in a header: plain HTTP only to a local sandbox.
        raise ValueError("Africa's Talking base URL must use https unless it is on loopback")
    if parts.query or parts.fragment:
        raise ValueError("Africa's Talking base URL must not have a query or fragment")
    return base_url.rstrip("/")


def _mask(number: str) -> str:
    return number[:4] + "…" + number[-3:] if len(number) > 7 else "…"


class AfricasTalkingGateway:
    def __init__(
        self,
        *,
        username: str,
        api_key: str,
        sender_id: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 10.0,
        max_concurrency: int = 8,
    ) -> None:
        if not username or not api_key:
            raise ValueError("Africa's Talking username and API key are required")
        if timeout_s <= 0 or max_concurrency < 1:
            raise ValueError("timeout_s must be > 0 and max_concurrency >= 1")
        # An own service instance, not the SDK's module globals (africastalking.initialize):
        # two gateways never share credentials or a base URL.
        self._service = KeepAliveSMSService(username, api_key)
        if base_url is not None:
            # The SDK has no public setting for its host; `_baseUrl` is where SMSService keeps
            # "<host>/version1" (africastalking 2.0.x, pinned in pyproject.toml).
            self._service._baseUrl = _check_base_url(base_url) + "/version1"
        self._sender_id = sender_id or None
        self._timeout = (min(_CONNECT_TIMEOUT_S, timeout_s), timeout_s)
        self._threads = ThreadPoolExecutor(max_concurrency, thread_name_prefix="at-sms")

    @classmethod
    def from_settings(cls, settings: Settings) -> AfricasTalkingGateway:
        if settings.at_api_key is None:
            raise ValueError("DUKA_AT_API_KEY is not set")
        return cls(
            username=settings.at_username,
            api_key=settings.at_api_key.get_secret_value(),
            sender_id=settings.at_sender_id,
            base_url=settings.at_base_url,
            timeout_s=settings.at_timeout_s,
            max_concurrency=settings.at_max_concurrency,
        )

    @property
    def endpoint(self) -> str:
        return str(self._service._baseUrl) + "/messaging"

    async def send(
        self,
        recipient: str,
        message: str,
        *,
        sender_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        if not _SDK_PHONE.match(recipient):
            result = SendResult(
                SendOutcome.PERMANENT,
                "InvalidPhoneNumber",
                "not an E.164 number; nothing was sent",
            )
        else:
            call = self._call(recipient, message, sender_id or self._sender_id)
            sending = asyncio.get_running_loop().run_in_executor(self._threads, call)
            try:
                result = await asyncio.shield(sending)
            except asyncio.CancelledError:
                with anyio.CancelScope(shield=True):
                    await asyncio.wait([sending])
                raise
        # AT cannot deduplicate; the key is logged so a duplicate can be traced to its send.
        # An accepted send is recorded with its message id anyway (and a line per SMS costs
        # the sender a few per cent of its rate): DEBUG; every other outcome: INFO.
        log.log(
            logging.DEBUG if result.outcome is SendOutcome.ACCEPTED else logging.INFO,
            "sms send to=%s outcome=%s reason=%s message_id=%s key=%s",
            _mask(recipient),
            result.outcome,
            result.reason,
            result.provider_message_id,
            idempotency_key,
        )
        return result

    def _call(
        self, recipient: str, message: str, sender_id: str | None
    ) -> Callable[[], SendResult]:
        def blocking() -> SendResult:
            try:
                payload = self._service.send(
                    message, [recipient], sender_id=sender_id, timeout=self._timeout
                )
            except Exception as exc:  # every failure becomes a SendResult, by contract
                result = classify_exception(exc)
                if result.reason == "unexpected_error":
                    log.exception("unexpected error from the Africa's Talking SDK")
                return result
            return classify_send_response(payload, recipient)

        return blocking
