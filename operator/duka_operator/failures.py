"""One way for both handler modules to turn an exception into status, an Event and kopf's
retry decision: refusals and rejected requests fail the resource, outages are retried."""

from __future__ import annotations

from typing import NoReturn

import kopf

from duka_operator.conditions import phase_status
from duka_operator.errors import RefusedError, WaitingError, classify, describe
from duka_operator.metrics import reconciled


def fail(
    body: kopf.Body,
    patch: kopf.Patch,
    exc: BaseException,
    unavailable_reason: str,
    retry_delay_s: float,
) -> NoReturn:
    """Patch the phase and conditions for `exc`, post a Warning Event, then raise
    kopf.PermanentError (Failed) or kopf.TemporaryError (Degraded, retried)."""
    conditions = list(body.status.get("conditions", []))
    generation = body.metadata.get("generation")
    message = describe(exc)
    if isinstance(exc, WaitingError):
        patch.status.update(phase_status(conditions, exc.phase, exc.reason, message, generation))
        reconciled(body, exc.phase)
        kopf.warn(body, reason=exc.reason, message=message)
        raise kopf.TemporaryError(message, delay=exc.delay_s) from exc
    if classify(exc) == "permanent":
        reason = exc.reason if isinstance(exc, RefusedError) else "Rejected"
        patch.status.update(phase_status(conditions, "Failed", reason, message, generation))
        reconciled(body, "Failed")
        kopf.warn(body, reason=reason, message=message)
        raise kopf.PermanentError(message) from exc
    patch.status.update(
        phase_status(conditions, "Degraded", unavailable_reason, message, generation)
    )
    reconciled(body, "Degraded")
    kopf.warn(body, reason=unavailable_reason, message=message)
    raise kopf.TemporaryError(message, delay=retry_delay_s) from exc
