"""Prefect's own ceiling on this machine: how fast one flow completes empty task runs
against the same server. `python -m bench.sms.anchor N` prints the rate as JSON."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time

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


def main() -> None:
    logging.getLogger("prefect.task_runs").setLevel(logging.WARNING)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    asyncio.run(empty_tasks(20))  # warm-up: imports, flow registration, connections
    rate, cpu_ms = asyncio.run(empty_tasks(count))
    print(json.dumps({"task_runs": count, "per_s": round(rate, 1), "cpu_ms": round(cpu_ms, 2)}))


if __name__ == "__main__":
    main()
