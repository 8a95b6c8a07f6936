"""Fill a Prefect database with synthetic SMS task runs, in bulk, shaped like the runner's.

Every row is a copy of a real one: the newest finished dispatch flow run ("sms-dispatch-…",
tags sms/dispatch; made Completed in the copies), one of its completed "sms-ORD-…" task
runs and their state rows are the templates, so every column Prefect 3.9.1 has (task key,
tags, empirical policy, task inputs, state details) is what the runner writes. Each copy
gets a new id, a new order reference as its name, its own flow run (`per_flow_run` task
runs each, like one dispatch run's), a dynamic key, and times spread evenly over the past
`span_days`: the rows stay inside the retention period, and the UI's default "past week"
filter sees them all.

Rows go in with INSERT … SELECT over generate_series, `chunk` task runs per statement. The
task run and its state point at each other (task_run.state_id, task_run_state.task_run_id),
so foreign-key triggers are off for the load (`session_replication_role = replica`; the
embedded server's user is a superuser): the rows are consistent by construction. Then
VACUUM (ANALYZE), as autovacuum would after such a load.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql


@dataclass(frozen=True, slots=True)
class Templates:
    flow_run: uuid.UUID
    flow_run_state: uuid.UUID
    task_run: uuid.UUID
    task_run_state: uuid.UUID


def find_templates(conn: psycopg.Connection) -> Templates:
    row = conn.execute(
        """
        SELECT f.id, f.state_id, t.id, t.state_id
        FROM flow_run f JOIN task_run t ON t.flow_run_id = f.id
        WHERE f.name LIKE 'sms-dispatch-%' AND t.name LIKE 'sms-ORD-%'
          AND f.state_type IN ('COMPLETED', 'CRASHED', 'CANCELLED')
          AND t.state_type = 'COMPLETED'
          AND f.state_id IS NOT NULL
          AND t.state_id IS NOT NULL
        ORDER BY f.created DESC LIMIT 1
        """
    ).fetchone()
    if row is None:
        raise RuntimeError(
            "no finished dispatch run with a completed SMS task run to copy: send some SMS "
            "and stop the runner first"
        )
    return Templates(*row)


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [r[0] for r in rows]


def _copy(
    conn: psycopg.Connection, table: str, source: str, overrides: Mapping[str, str]
) -> sql.Composed:
    """INSERT INTO table (every column) SELECT override-or-t.column FROM `source`."""
    columns = _columns(conn, table)
    unknown = set(overrides) - set(columns)
    if unknown:
        raise RuntimeError(f"{table} has no column {sorted(unknown)}: Prefect's schema moved")
    values = [
        sql.SQL(overrides[c]) if c in overrides else sql.SQL("t.{}").format(sql.Identifier(c))
        for c in columns
    ]
    return sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(values),
        sql.SQL(source),
    )


# The i-th synthetic task run happens at :now - i * :step; its flow run is i / :per.
_AT = "(CAST(%(now)s AS timestamptz) - g.i * CAST(%(step)s AS interval))"
_FLOW_AT = (
    "(CAST(%(now)s AS timestamptz) - g.f * CAST(%(per)s AS bigint) * CAST(%(step)s AS interval))"
)
_RUN_TIME = "CAST('50 milliseconds' AS interval)"

_FLOW_RUNS = {
    "id": "g.fr",
    "created": _FLOW_AT,
    "updated": _FLOW_AT,
    "name": "'sms-dispatch-' || to_char(" + _FLOW_AT + ", 'YYYYMMDD-HH24MISS')",
    "idempotency_key": "'sms-dispatch:bench-' || g.fr",
    "expected_start_time": _FLOW_AT,
    "start_time": _FLOW_AT,
    "end_time": _FLOW_AT + " + interval '5 minutes'",
    "state_timestamp": _FLOW_AT + " + interval '5 minutes'",
    "state_id": "g.fs",
    # A runner stopped by SIGTERM leaves its dispatch run Crashed: the copies are Completed.
    "state_type": "'COMPLETED'",
    "state_name": "'Completed'",
}
_FLOW_RUN_STATES = {
    "id": "g.fs",
    "created": _FLOW_AT,
    "updated": _FLOW_AT,
    "timestamp": _FLOW_AT + " + interval '5 minutes'",
    "flow_run_id": "g.fr",
    "type": "'COMPLETED'",
    "name": "'Completed'",
    "message": "NULL",
}
_TASK_RUNS = {
    "id": "g.tr",
    "created": _AT,
    "updated": _AT,
    "name": "'sms-ORD-' || upper(left(md5(g.tr::text), 8))",
    "flow_run_id": "g.fr",
    "dynamic_key": "g.i::text",
    "expected_start_time": _AT,
    "start_time": _AT,
    "end_time": _AT + " + " + _RUN_TIME,
    "state_timestamp": _AT + " + " + _RUN_TIME,
    "state_id": "g.ts",
}
_TASK_RUN_STATES = {
    "id": "g.ts",
    "created": _AT,
    "updated": _AT,
    "timestamp": _AT + " + " + _RUN_TIME,
    "task_run_id": "g.tr",
}


_FLOW_SOURCE = "bench_flows g, {table} t WHERE t.id = %(tpl)s"
_TASK_SOURCE = (
    "(SELECT i.i, i.tr, i.ts, b.fr FROM bench_ids i JOIN bench_flows b USING (f)) g, "
    "{table} t WHERE t.id = %(tpl)s"
)


def fill(
    prefect_url: str,
    count: int,
    *,
    per_flow_run: int = 5000,
    span_days: float = 6.0,
    chunk: int = 50_000,
    progress: bool = True,
) -> dict[str, float]:
    """Insert `count` SMS task runs (and their flow runs and states); seconds taken."""
    started = time.monotonic()
    step_s = span_days * 86400 / max(count, 1)
    with psycopg.connect(prefect_url, autocommit=True) as conn:
        tpl = find_templates(conn)
        row = conn.execute("SELECT now() - interval '1 minute'").fetchone()
        assert row is not None
        base = {"now": row[0], "step": f"{step_s} seconds", "per": per_flow_run}
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "CREATE TEMP TABLE bench_flows AS SELECT f, gen_random_uuid() AS fr, "
            "gen_random_uuid() AS fs FROM generate_series(0, CAST(%(n)s AS bigint) - 1) f",
            {"n": -(-count // per_flow_run)},
        )
        conn.execute("CREATE TEMP TABLE bench_ids (i bigint, f bigint, tr uuid, ts uuid)")
        flow_runs = _copy(conn, "flow_run", _FLOW_SOURCE.format(table="flow_run"), _FLOW_RUNS)
        flow_states = _copy(
            conn, "flow_run_state", _FLOW_SOURCE.format(table="flow_run_state"), _FLOW_RUN_STATES
        )
        with conn.transaction():
            conn.execute(flow_runs, {**base, "tpl": tpl.flow_run})
            conn.execute(flow_states, {**base, "tpl": tpl.flow_run_state})
        task_runs = _copy(conn, "task_run", _TASK_SOURCE.format(table="task_run"), _TASK_RUNS)
        task_states = _copy(
            conn, "task_run_state", _TASK_SOURCE.format(table="task_run_state"), _TASK_RUN_STATES
        )
        for lo in range(0, count, chunk):
            hi = min(lo + chunk, count) - 1
            with conn.transaction():
                conn.execute("TRUNCATE bench_ids")
                conn.execute(
                    "INSERT INTO bench_ids SELECT i, i / CAST(%(per)s AS bigint), "
                    "gen_random_uuid(), gen_random_uuid() "
                    "FROM generate_series(CAST(%(lo)s AS bigint), CAST(%(hi)s AS bigint)) i",
                    {"per": per_flow_run, "lo": lo, "hi": hi},
                )
                conn.execute(task_runs, {**base, "tpl": tpl.task_run})
                conn.execute(task_states, {**base, "tpl": tpl.task_run_state})
            if progress:
                print(f"[bench.prefect_history] filled {hi + 1:,} of {count:,}", flush=True)
        conn.execute("SET session_replication_role = DEFAULT")
        loaded = time.monotonic() - started
        # What autovacuum does after a large insert (statistics and the visibility map, which
        # index-only scans need), done at once so the filled phase does not race it.
        conn.execute("VACUUM (ANALYZE) task_run, task_run_state, flow_run, flow_run_state")
    return {"load_s": round(loaded, 1), "analyze_s": round(time.monotonic() - started - loaded, 1)}
