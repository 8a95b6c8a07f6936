"""Prefect's own ceiling on this machine, against the same server as the SMS runner:

- burst (`python -m bench.sms.anchor N`): how fast one flow completes N empty task runs;
- held (`python -m bench.sms.anchor --held RATE SECONDS`): empty task runs started at a
  fixed rate for SECONDS in one long flow run (the shape of the runner's dispatch run),
  and how many completed while they came. A burst measures the client; held for minutes,
  the rate also pays the work the server does behind its clients (recording each task
  run's states and events), as the SMS sustained rate does.

Each prints its result as JSON on the last line; `--held` also prints `BENCH start` and
`BENCH end` as its window opens and closes, and its result as `BENCH result {…}`, then
waits for its stdin to close: the caller (bench/sms/phases.py) takes its CPU snapshots of
this process at those marks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

# The same shape as the SMS task runs: async, bounded concurrency, a static tag, no results.
CONCURRENCY = 32


@task(name="empty", task_run_name="empty-{n}", tags=["bench"], cache_policy=NO_CACHE)
async def empty(n: int) -> None:
    return None


@flow(name="bench-empty-tasks", persist_result=False)
async def empty_tasks(count: int) -> tuple[float, float]:
    """Task runs per second, and CPU milliseconds of this process per task run."""
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> None:
        async with slots:
            await empty(n)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(n) for n in range(count)))
    return (
        count / (time.perf_counter() - started),
        (time.process_time() - cpu) / count * 1000,
    )


def _mark(name: str, value: str = "") -> None:
    print(f"BENCH {name} {value}".rstrip(), flush=True)


@flow(name="bench-empty-tasks-held", persist_result=False)
async def held(rate: float, duration_s: float) -> dict[str, Any]:
    """Empty task runs offered at `rate` per second (open loop, at most CONCURRENCY
    running, as the runner's slots): completed in the window, and the backlog (offered
    but not completed) every 5 s."""
    slots = asyncio.Semaphore(CONCURRENCY)
    done = 0

    async def one(n: int) -> None:
        nonlocal done
        async with slots:
            await empty(n)
        done += 1

    count = int(rate * duration_s)
    running: set[asyncio.Task[None]] = set()
    backlog: list[int] = []
    _mark("start")
    started, cpu = time.monotonic(), time.process_time()
    next_sample = started
    for n in range(count):
        due = started + n / rate
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        job = asyncio.create_task(one(n))
        running.add(job)
        job.add_done_callback(running.discard)
        if time.monotonic() >= next_sample:
            backlog.append(n - done)
            next_sample += 5
    window = time.monotonic() - started
    in_window, cpu_ms = done, (time.process_time() - cpu) * 1000
    _mark("end")
    await asyncio.gather(*running)
    return {
        "rate": rate,
        "duration_s": round(window, 1),
        "offered": count,
        "completed_in_window": in_window,
        "per_s": round(in_window / window, 1),
        "backlog_samples": backlog,
        "backlog_at_end": count - in_window,
        "client_cpu_ms": round(cpu_ms / max(in_window, 1), 2),
    }


def main() -> None:
    logging.getLogger("prefect.task_runs").setLevel(logging.WARNING)
    args = sys.argv[1:]
    asyncio.run(empty_tasks(20))  # warm-up: imports, flow registration, connections
    if args[:1] == ["--held"]:
        result = asyncio.run(held(float(args[1]), float(args[2])))
        _mark("result", json.dumps(result))
        sys.stdin.read()  # the caller's last CPU snapshot of this process comes first
        return
    count = int(args[0]) if args else 1000
    rate, cpu_ms = asyncio.run(empty_tasks(count))
    print(json.dumps({"task_runs": count, "per_s": round(rate, 1), "cpu_ms": round(cpu_ms, 2)}))


if __name__ == "__main__":
    main()
