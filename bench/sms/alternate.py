"""The runner's code against an earlier commit's, in alternating backlog drains on one stack:

    uv run python -m bench.sms.alternate --before REV [--after REV] [--rounds 3]
        [--backlog 1500] [--processes 1] [--pg-port 54343] [--metrics-port 9465]

The commit `--before` is exported (`git archive`) to a temporary directory, and its runner
runs from there (same interpreter and packages, its own `flows` and `duka`); the other
variant is `--after`'s, exported alike, or this tree's runner. Each round drains a backlog
once with each, the order swapped every round, so that drift on a shared machine falls on
both. Each drain reports the CPU per SMS
all-in from its first SMS until the Prefect server caught up (bench/sms/phases.py,
`backlog_drain`): on a shared machine the CPU per SMS is the steady figure, the rate is
not. Results: bench/sms/results/alternate-<time>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import load_average, machine_info
from bench.sms.phases import backlog_drain, customer_ids, reset, warm_up
from bench.sms.stack import PG_PORT, ROOT, start_stack
from duka.core.settings import Settings
from duka.db.engine import Database

RESULTS = Path(__file__).resolve().parent / "results"


def export(rev: str, into: Path) -> str:
    """`rev`'s tree under `into`; its abbreviated commit id."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return commit


def _row(name: str, drain: dict[str, Any]) -> dict[str, Any]:
    cpu = drain["cpu_all_in"]
    return {
        "variant": name,
        "per_s": drain["per_s"],
        "runner_ms": cpu["client_ms"],
        "prefect_server_ms": cpu["prefect_server_ms"],
        "postgres_ms": cpu["postgres_ms"],
        "all_in_ms": cpu["all_in_ms"],
    }


async def run(
    args: argparse.Namespace, before_dir: Path, after_dir: Path | None
) -> list[dict[str, Any]]:
    stack = start_stack(pg_port=args.pg_port)
    settings = Settings(database_url=stack.pg.url, environment="production")
    db = Database(stack.pg.url, settings)
    sms = {"metrics_port": str(args.metrics_port)}
    if args.processes > 1:
        sms["processes"] = str(args.processes)
    variants = {"before": before_dir, "after": after_dir}
    rows: list[dict[str, Any]] = []
    try:
        for where in variants.values():  # each variant's imports warmed once
            stack.runner_dir = where
            await reset(db, stack)
            stack.start_runner(1, **sms)
            await warm_up(db, settings, await customer_ids(db))
            stack.stop_runner()
        for round_ in range(args.rounds):
            order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
            for name in order:
                stack.runner_dir = variants[name]
                await reset(db, stack)
                print(f"[alternate] round {round_ + 1}: {name}", file=sys.stderr, flush=True)
                drain = await backlog_drain(db, stack, args.backlog, **sms)
                rows.append({"round": round_ + 1, **_row(name, drain), "drain": drain})
    finally:
        await db.dispose()
        stack.stop()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| round | variant | SMS/s | runner ms | Prefect server ms | PostgreSQL ms | all-in ms |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['round']} | {r['variant']} | {r['per_s']} | {r['runner_ms']} | "
            f"{r['prefect_server_ms']} | {r['postgres_ms']} | {r['all_in_ms']} |"
        )
    for name in ("before", "after"):
        mine = [r for r in rows if r["variant"] == name]
        if mine:
            med = {
                k: round(statistics.median(r[k] for r in mine), 2)
                for k in ("per_s", "runner_ms", "prefect_server_ms", "postgres_ms", "all_in_ms")
            }
            lines.append(
                f"| median | {name} | {med['per_s']} | {med['runner_ms']} | "
                f"{med['prefect_server_ms']} | {med['postgres_ms']} | {med['all_in_ms']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sms.alternate", description=__doc__)
    parser.add_argument("--before", required=True, help="the commit to compare against")
    parser.add_argument("--after", default="", help="the commit measured (default: this tree)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backlog", type=int, default=1500, help="orders per drain")
    parser.add_argument("--processes", type=int, default=1, help="DUKA_SMS_PROCESSES")
    parser.add_argument("--pg-port", type=int, default=PG_PORT, help="the embedded PostgreSQL")
    parser.add_argument("--metrics-port", type=int, default=9465, help="the runner's metrics")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "machine": machine_info(),
        "args": vars(args),
        "load_average_at_start": load_average(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp:
        before, after = Path(tmp) / "before", Path(tmp) / "after"
        result["before_commit"] = export(args.before, before)
        result["after_commit"] = export(args.after, after) if args.after else "this tree"
        result["rows"] = asyncio.run(run(args, before, after if args.after else None))
    result["load_average_at_end"] = load_average()
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"alternate-{stamp}.json").write_text(
        json.dumps(result, indent=2, default=str) + "\n"
    )
    print(table(result["rows"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
