"""Opt-outs, as AT handles them: a customer who opts out of a sender id is blacklisted
(every later send to the number answers 406 UserInBlacklist), and AT POSTs a Bulk SMS
opt-out notification (`senderId`, `phoneNumber`, form-encoded) to the opt-out callback.

In the sandbox a test or a developer opts a number out through the control
POST /_sandbox/opt-out {"phoneNumber": "+254…", "senderId": "DUKA"} and back in through
POST /_sandbox/opt-in {"phoneNumber": "+254…"}. The notification is tried like a delivery
report (a few times, with backoff) and its result is answered.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_S = 0.5


class Blacklist:
    """The numbers AT refuses (opted out). Thread-safe: sends read it from any thread."""

    def __init__(self) -> None:
        self._numbers: set[str] = set()
        self._lock = threading.Lock()

    def add(self, number: str) -> None:
        with self._lock:
            self._numbers.add(number)

    def remove(self, number: str) -> bool:
        with self._lock:
            present = number in self._numbers
            self._numbers.discard(number)
            return present

    def __contains__(self, number: object) -> bool:
        with self._lock:
            return number in self._numbers

    def numbers(self) -> list[str]:
        with self._lock:
            return sorted(self._numbers)

    def clear(self) -> None:
        with self._lock:
            self._numbers.clear()


def opt_out_form(number: str, sender_id: str | None) -> dict[str, str]:
    form = {"phoneNumber": number}
    if sender_id:
        form["senderId"] = sender_id
    return form


class OptOutNotifier:
    def __init__(
        self,
        url: str | None,
        client: httpx.AsyncClient | None = None,
        backoff_s: float = BACKOFF_S,
    ) -> None:
        self._url = url
        self._client = client
        self._backoff_s = backoff_s

    async def notify(self, number: str, sender_id: str | None) -> bool:
        """POST the opt-out notification; True once the receiver answered 2xx."""
        if self._url is None:
            return False
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        form = opt_out_form(number, sender_id)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self._client.post(self._url, data=form)
                if response.is_success:
                    return True
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            log.warning("opt-out notification attempt %d failed: %s", attempt, problem)
            if attempt < ATTEMPTS:
                await asyncio.sleep(self._backoff_s * attempt)
        return False

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
