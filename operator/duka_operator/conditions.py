"""Status conditions (Ready, Progressing, Degraded) and the status blocks built from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

CONDITION_TYPES = ("Ready", "Progressing", "Degraded")


def now_rfc3339() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def set_condition(
    existing: Sequence[Mapping[str, Any]],
    type_: str,
    status: bool,
    reason: str,
    message: str,
    generation: int | None,
    now: str | None = None,
) -> list[dict[str, Any]]:
    """The conditions with one replaced; lastTransitionTime moves only when status flips."""
    wanted = "True" if status else "False"
    old = next((c for c in existing if c.get("type") == type_), None)
    changed_at = now or now_rfc3339()
    if old is not None and old.get("status") == wanted and old.get("lastTransitionTime"):
        changed_at = str(old["lastTransitionTime"])
    new: dict[str, Any] = {
        "type": type_,
        "status": wanted,
        "reason": reason,
        "message": message,
        "lastTransitionTime": changed_at,
    }
    if generation is not None:
        new["observedGeneration"] = generation
    others = [dict(c) for c in existing if c.get("type") != type_]
    return sorted([*others, new], key=lambda c: _order(str(c["type"])))


def _order(type_: str) -> int:
    return CONDITION_TYPES.index(type_) if type_ in CONDITION_TYPES else len(CONDITION_TYPES)


def phase_status(
    existing: Sequence[Mapping[str, Any]],
    phase: str,
    reason: str,
    message: str,
    generation: int | None,
    now: str | None = None,
) -> dict[str, Any]:
    """A status patch for one of the phases Ready, Progressing, Degraded, Failed."""
    ready = phase == "Ready"
    progressing = phase == "Progressing"
    degraded = phase in ("Degraded", "Failed")
    conditions: list[dict[str, Any]] = [dict(c) for c in existing]
    for type_, flag in (("Ready", ready), ("Progressing", progressing), ("Degraded", degraded)):
        conditions = set_condition(conditions, type_, flag, reason, message, generation, now)
    return {"phase": phase, "observedGeneration": generation, "conditions": conditions}
