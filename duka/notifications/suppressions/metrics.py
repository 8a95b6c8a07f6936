"""Numbers put on the suppression list, counted where it happens: opt-outs in the API (the
callback), blacklisted sends in the runner (docs/operations.md, "SMS")."""

from __future__ import annotations

from prometheus_client import Counter

from duka.notifications.suppressions.models import SuppressionSource

SUPPRESSIONS = Counter(
    "duka_sms_suppressions",
    "Numbers added to the SMS suppression list, by source: opt_out (AT's opt-out callback) "
    "or blacklisted (a send AT answered UserInBlacklist).",
    ["source"],
)


def suppressed(source: SuppressionSource) -> None:
    SUPPRESSIONS.labels(source.value).inc()
