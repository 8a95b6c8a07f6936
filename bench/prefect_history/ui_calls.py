"""The API calls the Prefect UI makes for its task-runs views, timed.

The UI's Runs page opens with its default saved filter, "Past week" (expected start in the
last 7 days, every state); its Task runs tab asks for the first page of 10, newest first,
the count, and the counts by state; the dashboard asks for the task-run counts since a
start time; and an operator finds one order's send by its reference (the task run's name,
`sms-ORD-…`). Each call is made `repeat` times after one untimed warm-up call, one at a
time, on one keep-alive connection: the figures are server time plus one loopback trip.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.sms.report import percentiles

WEEK = timedelta(days=7)


def calls(
    reference: str, now: datetime | None = None, window: timedelta = WEEK
) -> dict[str, tuple[str, dict[str, Any]]]:
    """name: (path under /api, JSON body); `window`: the UI's date range ("Past week")."""
    now = now or datetime.now(UTC)
    week_ago = (now - window).isoformat()
    past_week = {"expected_start_time": {"after_": week_ago, "before_": now.isoformat()}}
    return {
        "paginate": (
            "/task_runs/paginate",
            {"page": 1, "limit": 10, "sort": "EXPECTED_START_TIME_DESC", "task_runs": past_week},
        ),
        "count": ("/task_runs/count", {"task_runs": past_week}),
        "counts_by_state": ("/ui/task_runs/count", {"task_runs": past_week}),
        "history": (
            "/task_runs/history",
            {
                "history_start": week_ago,
                "history_end": now.isoformat(),
                "history_interval_seconds": window.total_seconds() / 30,
                "task_runs": past_week,
            },
        ),
        "dashboard_counts": (
            "/ui/task_runs/dashboard/counts",
            {"task_runs": {"start_time": {"after_": week_ago}}},
        ),
        "find_by_reference": (
            "/task_runs/filter",
            {"task_runs": {"name": {"like_": reference}}, "limit": 10},
        ),
    }


def time_calls(
    api_url: str, reference: str, repeat: int, window: timedelta = WEEK
) -> dict[str, dict[str, float]]:
    """Milliseconds per call (p50, p90, p99, max) for each of `calls`."""
    timings: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=api_url, timeout=120) as client:
        for name, (path, body) in calls(reference, window=window).items():
            client.post(path, json=body).raise_for_status()
            seconds: list[float] = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.post(path, json=body).raise_for_status()
                seconds.append(time.perf_counter() - started)
            timings[name] = percentiles([s * 1000 for s in seconds])
    return timings
