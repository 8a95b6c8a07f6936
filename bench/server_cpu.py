"""A real server's CPU per request at few connections: what uvicorn, the sockets and the
event loop's wake-ups add to the in-process figures of bench.request_cpu (the capacity
model adds them per request, docs/capacity.md).

`python -m bench.server_cpu [--connections 1,4] [--seconds 10] [--rounds 3]` starts `duka
serve` with one worker (the DUKA_* settings of bench/servers.py) on its own embedded
PostgreSQL (`.state/bench-server-cpu`), and per round and level runs wrk with that many
connections for `--seconds` against GET /api/v1/orders/{id} (one stored order) and
POST /api/v1/orders (bench/orders.lua, as `make bench`). The server's CPU per request is
its process tree's CPU time (/proc) over the requests wrk counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.config import ROOT, BenchConfig
from bench.database import BenchDatabase, customer_code
from bench.in_process import free_port
from bench.issuer import BenchIssuer
from bench.machine import machine_info, process_tree_cpu_s
from bench.servers import duka_command, running
from bench.wrk import run_wrk


def _wrk_get(url: str, connections: int, seconds: int, token: str) -> int:
    """Requests wrk completed (all must be 200: a non-2xx answer fails the run)."""
    auth = f"Authorization: Bearer {token}"
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", auth, url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in done.stdout:
        raise RuntimeError(f"wrk met errors:\n{done.stdout}")
    line = next(x for x in done.stdout.splitlines() if " requests in " in x)
    return int(line.split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server_cpu", description=__doc__)
    parser.add_argument("--connections", default="1,4")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-port", type=int, default=54348)
    parser.add_argument("--port", type=int, default=18482)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    config = BenchConfig(
        pg_port=args.pg_port,
        pg_data_dir=ROOT / ".state" / "bench-server-cpu" / "data",
        duka_port=args.port,
        workers=1,
    )
    meta = machine_info()  # before the run: its load average is the machine's, not ours
    db = BenchDatabase(config)
    db.start()
    db.reset()
    issuer = BenchIssuer(free_port())
    per: dict[str, list[float]] = {}
    try:
        with (
            issuer.serving(),
            running(
                "duka-server-cpu",
                duka_command(config, db.url, issuer.issuer),
                args.port,
                "/healthz",
            ) as duka,
        ):
            token = issuer.token()
            body = {"customer_code": customer_code(1), "item": "Tea", "quantity": 1, "amount": "5"}
            answer = httpx.post(
                f"{duka.base_url}/api/v1/orders",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            answer.raise_for_status()
            read_url = f"{duka.base_url}/api/v1/orders/{answer.json()['id']}"
            levels = [int(c) for c in args.connections.split(",")]
            _wrk_get(read_url, 1, 2, token)  # warm: keys, statements
            run_wrk(duka.base_url, 1, 2, config.customers, token)
            for n in range(args.rounds):
                for level in levels:
                    for route in ("GET /orders/{id}", "POST /orders"):
                        before = process_tree_cpu_s(duka.pid)
                        if route == "POST /orders":
                            requests = run_wrk(
                                duka.base_url, level, args.seconds, config.customers, token
                            )["requests"]
                        else:
                            requests = _wrk_get(read_url, level, args.seconds, token)
                        us = (process_tree_cpu_s(duka.pid) - before) / requests * 1e6
                        key = f"{route}, {level} connections"
                        per.setdefault(key, []).append(round(us, 1))
                        print(
                            f"[server-cpu] round {n + 1}, {key}: {us:.0f} µs/request "
                            f"({requests / args.seconds:.0f} req/s)",
                            flush=True,
                        )
    finally:
        db.stop()
    result: dict[str, Any] = {
        "meta": meta,
        "us_per_request": {
            k: {"min": min(v), "median": statistics.median(v), "max": max(v), "rounds": v}
            for k, v in per.items()
        },
    }
    print(json.dumps(result["us_per_request"]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
