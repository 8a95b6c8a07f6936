"""Closed-loop load with wrk: N connections, each sending its next request as soon as the
previous answer arrives. Gives the peak throughput at that concurrency.

`api` picks what each request is: "rest", POST /api/v1/orders; or "graphql", the same order
as the createOrder mutation on /graphql (bench/orders.lua checks every GraphQL answer's body:
a 200 that is not a successful payload counts as an error, "refused").
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any, Literal, TypedDict

from bench.config import BENCH_DIR, GRAPHQL_PATH, ORDERS_PATH

LUA_SCRIPT = BENCH_DIR / "orders.lua"
MARKER = "BENCH_RESULT "

Api = Literal["rest", "graphql"]
PATHS: dict[Api, str] = {"rest": ORDERS_PATH, "graphql": GRAPHQL_PATH}


class WrkResult(TypedDict):
    tool: str
    api: str
    connections: int
    threads: int
    duration_s: float
    requests: int
    rps: float
    ok_rps: float
    errors: dict[str, int]
    latency_ms: dict[str, float]


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()[0]
    return first.split(" Copyright", 1)[0].strip()


def run_wrk(
    base_url: str,
    connections: int,
    duration_s: int,
    customers: int,
    token: str,
    api: Api = "rest",
) -> WrkResult:
    # One wrk thread: it drives thousands of requests a second, more than either Python
    # server answers, and every core wrk does not use is left to the server and PostgreSQL.
    threads = 1
    env = {
        **os.environ,
        "BENCH_CUSTOMERS": str(customers),
        "BENCH_API": api,
        "BENCH_PATH": PATHS[api],
        "BENCH_TOKEN": token,
    }
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration_s}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA_SCRIPT),
            base_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    raw: dict[str, Any] = json.loads(line[len(MARKER) :])
    seconds = raw["duration_us"] / 1e6
    errors: dict[str, int] = raw["errors"]
    # "refused": GraphQL's 200 answers that were not a successful payload (orders.lua).
    failed = (
        errors["status"]
        + errors["timeout"]
        + errors["read"]
        + errors["write"]
        + errors.get("refused", 0)
    )
    return WrkResult(
        tool="wrk",
        api=api,
        connections=connections,
        threads=threads,
        duration_s=seconds,
        requests=raw["requests"],
        rps=raw["requests"] / seconds,
        ok_rps=max(raw["requests"] - failed, 0) / seconds,
        errors=errors,
        latency_ms={k: v / 1000 for k, v in raw["latency_us"].items()},
    )
