"""Open-loop load at a fixed request rate (what wrk2 does; Debian ships only wrk).

Request i is due at t0 + i/rate whatever happened to earlier ones, and its latency runs
from that due time, not from when a connection was free to send it. A slow server thus
shows up as a growing queue and high percentiles instead of quietly lowering the offered
load (the "coordinated omission" of closed-loop tools such as wrk).

Run as its own process: `python -m bench.fixed_rate --url URL --rate R --duration S`
(the bearer token, if any, in BENCH_TOKEN); prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.config import ORDERS_PATH
from bench.stats import in_ms, summarize

ITEMS = (
    ("Maize flour 2kg", "1250.00", 2),
    ("Sugar 1kg", "180.00", 1),
    ("Cooking oil 3L", "1050.50", 1),
    ("Rice 5kg", "975.00", 3),
)
# Answers still missing this long after the last request was due count as timeouts.
DRAIN_S = 10.0


def build_requests(host: str, port: int, path: str, customers: int, token: str) -> list[bytes]:
    """The same bodies, in the same rotation, and the same headers as bench/orders.lua."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    requests = []
    for i in range(customers * len(ITEMS)):
        item, amount, quantity = ITEMS[i % len(ITEMS)]
        body = json.dumps(
            {
                "customer_code": f"CUST-{i % customers + 1:06d}",
                "item": item,
                "quantity": quantity,
                "amount": amount,
                "currency": "KES",
            }
        ).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\n{auth}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        requests.append(head + body)
    return requests


@dataclass
class Tally:
    latencies_us: list[float] = field(default_factory=list)
    queue_us: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0


async def _read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    host: str,
    port: int,
    queue: asyncio.Queue[tuple[float, bytes] | None],
    tally: Tally,
) -> None:
    loop = asyncio.get_running_loop()
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while (job := await queue.get()) is not None:
        due, request = job
        tally.queue_us.append((loop.time() - due) * 1e6)
        try:
            if reader is None or writer is None or reader.at_eof():
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            status = await _read_status(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.errors += 1
            reader = writer = None
            continue
        tally.latencies_us.append((loop.time() - due) * 1e6)
        tally.statuses[status] += 1
    if writer is not None:
        writer.close()


async def run(
    url: str, rate: float, duration_s: float, connections: int, customers: int, token: str
) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = build_requests(host, port, parts.path or ORDERS_PATH, customers, token)
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    tally = Tally()
    workers = [
        asyncio.create_task(_connection(host, port, queue, tally)) for _ in range(connections)
    ]
    loop = asyncio.get_running_loop()
    total = int(rate * duration_s)
    t0 = loop.time() + 0.05
    sent = 0
    while sent < total:
        due_now = min(total, int((loop.time() - t0) * rate) + 1)
        while sent < due_now:
            queue.put_nowait((t0 + sent / rate, requests[sent % len(requests)]))
            sent += 1
        await asyncio.sleep(max(0.0, t0 + sent / rate - loop.time()))
    for _ in workers:
        queue.put_nowait(None)
    _, pending = await asyncio.wait(workers, timeout=DRAIN_S)
    for task in pending:
        task.cancel()
    elapsed = loop.time() - t0
    answered = len(tally.latencies_us)
    ok = sum(n for status, n in tally.statuses.items() if 200 <= status < 300)
    latency = summarize(tally.latencies_us)
    queued = summarize(tally.queue_us)
    return {
        "tool": "fixed_rate",
        "target_rps": rate,
        "duration_s": duration_s,
        "connections": connections,
        "scheduled": total,
        "answered": answered,
        "ok": ok,
        "errors": tally.errors,
        "unanswered": total - answered - tally.errors,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "achieved_rps": answered / elapsed if elapsed > 0 else 0.0,
        "latency_ms": in_ms(latency),
        "queue_wait_ms": {"p50": queued["p50"] / 1000, "p99": queued["p99"] / 1000},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="full URL of the POST endpoint")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds of load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--customers", type=int, default=1000)
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # uvloop comes with uvicorn[standard]; plain asyncio also works
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(
            run(
                args.url,
                args.rate,
                args.duration,
                args.connections,
                args.customers,
                os.environ.get("BENCH_TOKEN", ""),
            )
        )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
