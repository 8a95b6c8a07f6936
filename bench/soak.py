"""Soak: mixed traffic for a long while with the SMS runner on (`python -m bench.soak`).

Its own embedded PostgreSQL (BENCH_SOAK_PG_PORT, 54345) with a Prefect server on it, the
Africa's Talking sandbox posting delivery reports to Duka's callback, Duka (`duka serve`,
BENCH_WORKERS workers) and one SMS runner. For BENCH_SOAK_DURATION seconds (600) an
open-loop generator sends, every second: BENCH_SOAK_ORDERS (20) POST /orders,
BENCH_SOAK_READS (20) reads (an order by id, every fifth a page of the list) and
BENCH_SOAK_WEBHOOKS (5) delivery-report replays; every BENCH_SOAK_UPLOAD_EVERY_S (10) s an
upload of BENCH_SOAK_UPLOAD_ROWS (200) orders. Every 5 s it samples each process's
resident memory and CPU time, the outbox (pending rows, age of the oldest) and the
cluster's WAL (`pg_stat_wal`).

Reported (bench/results/soak-*.json and .md): answers by route and status, errors that
are not 4xx (5xx and transport failures: the target is 0), memory per process after
the warm-up (the first fifth) with its growth and slope, CPU per process, the outbox lag,
and WAL bytes per second and per SMS sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg

from bench.config import RESULTS_DIR, ROOT, BenchConfig
from bench.database import BenchDatabase, customer_code
from bench.issuer import BenchIssuer
from bench.machine import machine_info, process_tree_cpu_s
from bench.servers import duka_command, running
from bench.sms.allin import postgres_cpu_s, postmaster_pid
from devtools.prefect_server import PrefectServer, free_port

API_KEY = "bench-soak-key"
CALLBACK_SECRET = "bench-soak-callback-secret"  # fake, for this local run only
SAMPLE_S = 5.0
# Requests in flight at most (the client's connections): the generator skips, and counts,
# what it cannot send while the server lags, rather than queueing without bound.
MAX_IN_FLIGHT = 64


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class SoakConfig:
    duration_s: int = field(default_factory=lambda: _env_int("BENCH_SOAK_DURATION", 600))
    orders_per_s: int = field(default_factory=lambda: _env_int("BENCH_SOAK_ORDERS", 20))
    reads_per_s: int = field(default_factory=lambda: _env_int("BENCH_SOAK_READS", 20))
    webhooks_per_s: int = field(default_factory=lambda: _env_int("BENCH_SOAK_WEBHOOKS", 5))
    upload_every_s: int = field(default_factory=lambda: _env_int("BENCH_SOAK_UPLOAD_EVERY_S", 10))
    upload_rows: int = field(default_factory=lambda: _env_int("BENCH_SOAK_UPLOAD_ROWS", 200))
    pg_port: int = field(default_factory=lambda: _env_int("BENCH_SOAK_PG_PORT", 54345))

    @property
    def warmup_s(self) -> float:
        return self.duration_s / 5


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def tree(pid: int) -> list[int]:
    """The process and its live descendants."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid] + [p for child in children for p in tree(int(child))]


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)[:80]


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    skipped: int = 0  # not sent: MAX_IN_FLIGHT requests were waiting for answers
    order_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)

    def record(self, route: str, answer: httpx.Response | BaseException) -> None:
        if isinstance(answer, BaseException):
            self.failures[f"{route} {type(answer).__name__}"] += 1
            return
        self.answers[f"{route} {answer.status_code}"] += 1
        if answer.status_code >= 500:
            self.failures[f"{route} {answer.status_code}"] += 1

    @property
    def non_4xx_errors(self) -> int:
        return sum(self.failures.values())


class Load:
    def __init__(self, base: str, token: str, config: SoakConfig, customers: int) -> None:
        self.config = config
        self.customers = customers
        self.tally = Tally()
        self.client = httpx.AsyncClient(
            base_url=base + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            limits=httpx.Limits(max_connections=MAX_IN_FLIGHT),
        )
        self.tasks: set[asyncio.Task[None]] = set()

    async def _send(self, route: str, request: Any) -> None:
        try:
            answer = await request
        except (httpx.HTTPError, OSError) as exc:
            self.tally.record(route, exc)
            return
        self.tally.record(route, answer)
        if route == "POST /orders" and answer.status_code == 201:
            self.tally.order_ids.append(answer.json()["id"])

    def fire(self, route: str, request: Any) -> None:
        if len(self.tasks) >= MAX_IN_FLIGHT:
            request.close()  # the coroutine never started
            self.tally.skipped += 1
            return
        task = asyncio.create_task(self._send(route, request))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def order(self) -> None:
        code = customer_code(random.randint(1, self.customers))
        body = {"customer_code": code, "item": "Maize flour 2kg", "quantity": 1, "amount": "125"}
        self.fire("POST /orders", self.client.post("/orders", json=body))

    def read(self, n: int) -> None:
        ids = self.tally.order_ids
        if n % 5 == 0 or not ids:
            self.fire("GET /orders", self.client.get("/orders", params={"limit": 20}))
        else:
            self.fire("GET /orders/{id}", self.client.get(f"/orders/{random.choice(ids)}"))

    def webhook(self) -> None:
        if not self.tally.message_ids:
            return
        form = {"id": random.choice(self.tally.message_ids), "status": "Success"}
        path = f"/webhooks/africastalking/delivery/{CALLBACK_SECRET}"
        self.fire("POST /webhooks", self.client.post(path, data=form))

    def upload(self) -> None:
        lines = ["customer_code,item,quantity,amount"]
        for _ in range(self.config.upload_rows):
            lines.append(f"{customer_code(random.randint(1, self.customers))},Sugar 1kg,1,180")
        body = ("\n".join(lines) + "\n").encode()
        headers = {"Content-Type": "text/csv"}
        self.fire(
            "POST /uploads/orders",
            self.client.post("/uploads/orders", content=body, headers=headers),
        )

    async def run(self, stop_at: float) -> None:
        loop = asyncio.get_running_loop()
        tick, n = loop.time(), 0
        while loop.time() < stop_at:
            # The second's requests spread evenly over it, interleaved: fired in one burst,
            # the orders alone filled MAX_IN_FLIGHT at 60/s and the reads after them were
            # counted as skipped although the server kept up.
            sends: list[Callable[[], None]] = [self.order] * self.config.orders_per_s
            sends += [
                functools.partial(self.read, n * self.config.reads_per_s + i)
                for i in range(self.config.reads_per_s)
            ]
            sends += [self.webhook] * self.config.webhooks_per_s
            if n % self.config.upload_every_s == 0:
                sends.append(self.upload)
            random.shuffle(sends)
            for k, send in enumerate(sends):
                send()
                await asyncio.sleep(max(0.0, tick + (k + 1) / len(sends) - loop.time()))
            n += 1
            tick += 1.0
            await asyncio.sleep(max(0.0, tick - loop.time()))
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=60)
        await self.client.aclose()


OUTBOX = """
SELECT count(*) FILTER (WHERE status = 'pending'),
       coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0),
       count(*) FILTER (WHERE status IN ('sent', 'delivered')),
       count(*) FILTER (WHERE status = 'failed'),
       (SELECT count(*) FROM delivery_reports)
FROM notifications
"""
# The cluster's WAL so far (both databases): bytes and full-page images.
WAL = "SELECT wal_bytes, wal_fpi FROM pg_stat_wal"
MESSAGE_IDS = """
SELECT provider_message_id FROM notifications
WHERE provider_message_id IS NOT NULL ORDER BY sent_at DESC LIMIT 200
"""


def cpu_seconds(pids: dict[str, int], postmaster: int) -> dict[str, float]:
    """CPU seconds so far of each named process tree, of PostgreSQL (every backend of the
    cluster, both databases) and of this process (the load generator): the inputs of the
    capacity model's check (docs/capacity.md)."""
    seconds = {name: process_tree_cpu_s(root) for name, root in pids.items()}
    seconds["postgres"] = sum(postgres_cpu_s(postmaster).values())
    own = os.times()
    seconds["load_generator"] = own.user + own.system
    return seconds


async def sample(
    db_url: str,
    pids: dict[str, int],
    load: Load,
    started: float,
    stop_at: float,
    commands: dict[str, str],
    postmaster: int,
) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        while True:
            row = await (await conn.execute(OUTBOX)).fetchone()
            assert row is not None
            wal = await (await conn.execute(WAL)).fetchone()
            assert wal is not None
            ids = await (await conn.execute(MESSAGE_IDS)).fetchall()
            load.tally.message_ids = [r[0] for r in ids]
            memory = {}
            for name, root in pids.items():
                for pid in tree(root):
                    rss = rss_mib(pid)
                    if rss is not None:
                        memory[f"{name}:{pid}"] = round(rss, 1)
                        commands.setdefault(f"{name}:{pid}", cmdline(pid))
            samples.append(
                {
                    "t_s": round(time.monotonic() - started, 1),
                    "pending": row[0],
                    "oldest_pending_s": round(float(row[1]), 1),
                    "sent": row[2],
                    "failed": row[3],
                    "delivery_reports": row[4],
                    "wal_bytes": int(wal[0]),
                    "wal_fpi": int(wal[1]),
                    "rss_mib": memory,
                    "cpu_s": cpu_seconds(pids, postmaster),
                }
            )
            if time.monotonic() >= stop_at:
                return samples
            await asyncio.sleep(SAMPLE_S)


def slope_per_min(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return (
        0.0
        if den == 0
        else 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den
    )


def summarize(
    samples: list[dict[str, Any]], tally: Tally, config: SoakConfig, commands: dict[str, str]
) -> dict[str, Any]:
    after = [s for s in samples if s["t_s"] >= config.warmup_s] or samples[-1:]
    names = sorted({name for s in after for name in s["rss_mib"]})
    memory = {}
    for name in names:
        points = [(s["t_s"], s["rss_mib"][name]) for s in after if name in s["rss_mib"]]
        memory[name] = {
            "command": f"{name.split(':')[0]}: {commands.get(name, '?')}",
            "after_warmup_mib": points[0][1],
            "end_mib": points[-1][1],
            "growth_mib": round(points[-1][1] - points[0][1], 1),
            "slope_mib_per_min": round(slope_per_min(points), 2),
        }
    first, last = after[0], samples[-1]
    span_s = last["t_s"] - first["t_s"]
    # Milliseconds of CPU per second of each process after the warm-up.
    cpu_ms_per_s = (
        {
            name: round((last["cpu_s"][name] - first["cpu_s"].get(name, 0.0)) / span_s * 1000, 1)
            for name in last["cpu_s"]
        }
        if span_s > 0
        else {}
    )
    sent = last["sent"] - first["sent"]
    wal = {
        "bytes_per_s": round((last["wal_bytes"] - first["wal_bytes"]) / span_s) if span_s else 0,
        # Over an order's whole life here: its insert, its SMS's claim, attempt and
        # acceptance, its delivery report, and the Prefect task run that sent it.
        "bytes_per_sms_sent": round((last["wal_bytes"] - first["wal_bytes"]) / sent) if sent else 0,
        "fpi_per_sms_sent": round((last["wal_fpi"] - first["wal_fpi"]) / sent, 2) if sent else 0,
        "sms_sent": sent,
    }
    return {
        "cpu_ms_per_s": cpu_ms_per_s,
        "wal_after_warmup": wal,
        "answers": dict(sorted(tally.answers.items())),
        "non_4xx_errors": tally.non_4xx_errors,
        "failures": dict(tally.failures),
        "skipped_server_behind": tally.skipped,
        "memory": memory,
        "outbox": {
            "max_oldest_pending_s_after_warmup": max(s["oldest_pending_s"] for s in after),
            "max_pending_after_warmup": max(s["pending"] for s in after),
            "end_pending": samples[-1]["pending"],
            "sent": samples[-1]["sent"],
            "failed": samples[-1]["failed"],
            "delivery_reports_received": samples[-1]["delivery_reports"],
        },
    }


def markdown(summary: dict[str, Any], config: SoakConfig) -> str:
    lines = [
        f"## Soak, {config.duration_s} s (warm-up {config.warmup_s:.0f} s)",
        "",
        f"Errors that are not 4xx: **{summary['non_4xx_errors']}** {summary['failures'] or ''}",
        "",
        "CPU after the warm-up, ms per second: "
        + ", ".join(f"{name} {ms}" for name, ms in summary["cpu_ms_per_s"].items()),
        "",
        f"Requests not sent because {MAX_IN_FLIGHT} were waiting for answers (the server "
        f"fell behind the offered load): {summary['skipped_server_behind']}",
        "",
        "| route and status | answers |",
        "|---|---:|",
        *(f"| {k} | {v} |" for k, v in summary["answers"].items()),
        "",
        "| process | RSS after warm-up MiB | at end MiB | growth MiB | slope MiB/min |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {m['command']} | {m['after_warmup_mib']} | {m['end_mib']} | "
            f"{m['growth_mib']} | {m['slope_mib_per_min']} |"
            for m in summary["memory"].values()
        ),
        "",
        "Outbox: " + ", ".join(f"{k} {v}" for k, v in summary["outbox"].items()),
        "",
        "WAL after the warm-up (both databases): "
        + ", ".join(f"{k} {v}" for k, v in summary["wal_after_warmup"].items()),
    ]
    return "\n".join(lines) + "\n"


def prefect_pid(prefect: PrefectServer) -> int:
    process = prefect._process
    if process is None:
        raise RuntimeError("the Prefect server is not running")
    return process.pid


def start_sandbox(port: int, callback_url: str, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.at_sandbox",
            "--port",
            str(port),
            "--api-key",
            API_KEY,
            "--callback-url",
            callback_url,
        ],
        env={**os.environ, "AT_SANDBOX_LOG_LEVEL": "warning"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def main() -> int:
    config = SoakConfig()
    bench = dataclasses.replace(
        BenchConfig.from_env(),
        pg_port=config.pg_port,
        pg_data_dir=ROOT / ".state" / "bench-soak-postgres" / "data",
        database="duka_bench_soak",
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"soak-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    db = BenchDatabase(bench)
    issuer = BenchIssuer(bench.issuer_port)
    db.start()
    db.reset()
    prefect = PrefectServer(
        database_url=db.url.rsplit("/", 1)[0] + "/prefect_soak",
        home=ROOT / ".state" / "bench-soak-prefect",
        ui=False,
        all_services=False,
    )
    sandbox_port = free_port()
    callback = (
        f"http://127.0.0.1:{bench.duka_port}/api/v1/webhooks/africastalking/delivery/"
        f"{CALLBACK_SECRET}"
    )
    sandbox_log = (RESULTS_DIR / "soak-sandbox.log").open("wb")
    sandbox = start_sandbox(sandbox_port, callback, sandbox_log)
    runner: subprocess.Popen[bytes] | None = None
    runner_log = (RESULTS_DIR / "soak-runner.log").open("wb")
    try:
        prefect.start()
        prefect.wait_ready()
        command = duka_command(
            bench, db.url, issuer.issuer, DUKA_AT_CALLBACK_SECRET=CALLBACK_SECRET
        )
        with issuer.serving(), running("duka-soak", command, bench.duka_port, "/healthz") as duka:
            runner = subprocess.Popen(
                [sys.executable, "-m", "flows"],
                env={
                    **os.environ,
                    "DUKA_DATABASE_URL": db.url,
                    "DUKA_AT_API_KEY": API_KEY,
                    "DUKA_AT_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
                    **prefect.client_env(),
                },
                stdout=runner_log,
                stderr=subprocess.STDOUT,
            )
            pids = {
                "duka": duka.pid,
                "runner": runner.pid,
                "prefect": prefect_pid(prefect),
                "sandbox": sandbox.pid,
            }
            load = Load(duka.base_url, issuer.token(), config, bench.customers)
            commands: dict[str, str] = {}
            print(f"[soak] {config.duration_s} s of mixed traffic", file=sys.stderr)

            async def both() -> list[dict[str, Any]]:
                started = time.monotonic()
                stop_at = started + config.duration_s
                sampling = asyncio.create_task(
                    sample(
                        db.url,
                        pids,
                        load,
                        started,
                        stop_at,
                        commands,
                        postmaster_pid(bench.pg_data_dir),
                    )
                )
                await load.run(stop_at)
                return await sampling

            samples = asyncio.run(both())
    finally:
        if runner is not None:
            runner.terminate()
            runner.wait(timeout=60)
        runner_log.close()
        sandbox.terminate()
        sandbox.wait(timeout=20)
        sandbox_log.close()
        prefect.stop()
        if not bench.keep_postgres:
            db.stop()
    summary = summarize(samples, load.tally, config, commands)
    result = {
        "meta": machine_info(),
        "config": config.__dict__,
        "summary": summary,
        "samples": samples,
    }
    out.write_text(json.dumps(result, indent=2, default=str))
    text = markdown(summary, config)
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0 if summary["non_4xx_errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
