"""Reading a Duka metrics port in tests: the samples of one scrape, scraping until a
test's assertions hold (each process samples its gauges on an interval of its own, so a
fixed sleep is a guess), and a Duka process served until its ready line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from prometheus_client.parser import text_string_to_metric_families

# The line `duka serve` and the runner print once their metrics port listens.
METRICS_LINE = re.compile(rb"metrics on (http://\S+/metrics)")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as c:
        answer = await c.get(url)
    answer.raise_for_status()
    return samples(answer.text)


async def scrape_until(
    url: str, check: Callable[[Samples], None], timeout_s: float = 15
) -> Samples:
    """Scrape until `check` (a function of assertions) passes on one scrape; after the
    timeout its last failure is raised, saying what is missing."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await scrape(url)
        try:
            check(found)
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        else:
            return found
        await asyncio.sleep(0.2)


@asynccontextmanager
async def serving(
    argv: list[str], env: dict[str, str], ready: Callable[[bytes], bool]
) -> AsyncIterator[None]:
    """A Duka process (`-m api.cli serve`, `-m flows`) until `ready` saw its line on
    stderr; SIGTERM afterwards, and its exit awaited."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    drained: asyncio.Task[bytes] | None = None
    try:
        while not ready(line := await asyncio.wait_for(process.stderr.readline(), 120)):
            assert line, f"{' '.join(argv)} ended early"
        drained = asyncio.create_task(process.stderr.read())
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
        if drained is not None:
            await drained
