"""What Prometheus metrics cost one request, in process (issue 14: at most 3% of POST /orders).

    uv run --frozen python -m bench.metrics_cost [--requests 4000] [--rounds 7] [--repeat 3]

Each mode runs in a fresh interpreter, as a uvicorn worker would: the API's ASGI stack
(`create_app`, every middleware) answers GET /healthz `--requests` times, called directly
(no server, no sockets), and each request also counts one cached token validation, as
every authenticated request does. The figure is CPU time (`time.process_time`) per
request, the best of `--rounds`; the modes run interleaved `--repeat` times and the best
of each is kept, so a busy moment of a shared machine does not count against one mode.

- `off`: metrics off (the default): no middleware, counters in memory;
- `files`: metrics on, prometheus_client's multiprocess mode writing every value to its
  memory-mapped file, as a worker of `duka serve` does.

The request metrics' cost does not depend on the route, so the difference between the
modes is what metrics add to any request, POST /orders included; `--order-cpu-us` (the
server CPU per POST /orders measured by `make bench`) turns it into a share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import MutableMapping
from typing import Any

MODES = ("off", "files")
ENV = "PROMETHEUS_MULTIPROC_DIR"


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"duka.bench"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def _measure(mode: str, requests: int, rounds: int) -> dict[str, float]:
    from api.main import create_app
    from duka.auth import metrics as auth_metrics
    from duka.core.settings import Settings

    app = create_app(Settings(metrics_enabled=mode != "off"))
    token_cached = auth_metrics.TOKEN_CACHED
    template = _scope()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    async def one() -> None:
        await app(dict(template), receive, send)
        token_cached.inc()

    for _ in range(500):  # warm-up: the middleware stack is built, children are cached
        await one()
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            await one()
        best = min(best, (time.process_time() - started) / requests)
    # One value update alone, the counter's (what a request makes four of).
    updates = 200_000
    best_update = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(updates):
            token_cached.inc()
        best_update = min(best_update, (time.process_time() - started) / updates)
    return {"request_us": best * 1e6, "update_us": best_update * 1e6}


def _child(mode: str, requests: int, rounds: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    with tempfile.TemporaryDirectory(prefix="duka-metrics-cost-") as directory:
        if mode != "off":
            env[ENV] = directory
        out = subprocess.run(
            [
                *(sys.executable, "-m", "bench.metrics_cost", "--child", mode),
                *("--requests", str(requests), "--rounds", str(rounds)),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--order-cpu-us",
        type=float,
        default=1020.0,
        help="server CPU per POST /orders with metrics off (docs/benchmarks.md)",
    )
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_measure(args.child, args.requests, args.rounds))))
        return 0
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for mode in args.modes:
            got = _child(mode, args.requests, args.rounds)
            print(f"{mode}: {got['request_us']:.1f} µs/request, {got['update_us']:.3f} µs/update")
            kept = best.setdefault(mode, got)
            for key, value in got.items():
                kept[key] = min(kept[key], value)
    base = best.get("off", {}).get("request_us")
    print("\n| mode | CPU µs/request | + vs off | share of a POST /orders | µs per value update |")
    print("|---|---:|---:|---:|---:|")
    for mode, got in best.items():
        extra = got["request_us"] - base if base is not None else float("nan")
        print(
            f"| {mode} | {got['request_us']:.1f} | {extra:+.1f} | "
            f"{extra / args.order_cpu_us:.1%} | {got['update_us']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
