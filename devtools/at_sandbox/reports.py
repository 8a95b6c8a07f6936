"""Delivery reports: AT POSTs a form to the callback URL some time after accepting a message.

Reports are at-least-once, like AT's: a failed POST (connection error or non-2xx) is tried
again with backoff, and the fault config can send a report twice on purpose. At most
MAX_PENDING reports wait at once; beyond that new ones are dropped (and counted), so a dead
receiver cannot grow memory without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx

from devtools.at_sandbox.faults import FaultInjector, ReportPlan
from devtools.at_sandbox.inbox import Inbox, InboxMessage

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_S = 0.5
DUPLICATE_GAP_S = 0.05
MAX_PENDING = 10_000


def report_form(
    message: InboxMessage,
    plan: ReportPlan,
    network_code: str,
    status: str | None = None,
) -> dict[str, str]:
    """The form of one report: the plan's final one, or `status` (one before or after it)."""
    status = plan.status if status is None else status
    form = {
        "id": message.message_id,
        "status": status,
        "phoneNumber": message.to,
        "networkCode": network_code,
        "retryCount": "0",
    }
    reason = plan.failure_reason if status == plan.status else plan.reason_for(status)
    if reason is not None:
        form["failureReason"] = reason
    return form


class DeliveryReporter:
    def __init__(
        self,
        callback_url: str | None,
        network_code: str,
        inbox: Inbox,
        faults: Callable[[], FaultInjector],
        client: httpx.AsyncClient | None = None,
        backoff_s: float = BACKOFF_S,
    ) -> None:
        self._url = callback_url
        self._network_code = network_code
        self._inbox = inbox
        self._faults = faults
        self._client = client
        self._backoff_s = backoff_s
        self._tasks: set[asyncio.Task[None]] = set()
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def schedule(self, messages: list[InboxMessage]) -> None:
        """Queue one report per message; returns at once. Needs a running event loop."""
        if self._url is None:
            return
        faults = self._faults()
        for message in messages:
            if len(self._tasks) >= MAX_PENDING:
                self.dropped += 1
                log.warning("delivery report for %s dropped: too many pending", message.message_id)
                continue
            plan = faults.report_for(message.to)
            task = asyncio.create_task(self._report(message, plan, faults.config.report_delay_s))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _report(self, message: InboxMessage, plan: ReportPlan, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        for status in plan.before:
            await self._post(report_form(message, plan, self._network_code, status), message)
            await asyncio.sleep(DUPLICATE_GAP_S)
        form = report_form(message, plan, self._network_code)
        await self._post(form, message)
        if plan.duplicate:
            await asyncio.sleep(DUPLICATE_GAP_S)
            await self._post(form, message)
        for status in plan.after:
            await asyncio.sleep(DUPLICATE_GAP_S)
            await self._post(report_form(message, plan, self._network_code, status), message)

    async def _post(self, form: dict[str, str], message: InboxMessage) -> None:
        assert self._url is not None
        message_id = message.message_id
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self._client.post(self._url, data=form)
                if response.is_success:
                    self._inbox.mark_reported(message_id, form["status"])
                    return
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            log.warning("delivery report %s attempt %d failed: %s", message_id, attempt, problem)
            if attempt < ATTEMPTS:
                await asyncio.sleep(self._backoff_s * attempt)

    async def drain(self) -> None:
        """Wait until every scheduled report was sent or given up."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
