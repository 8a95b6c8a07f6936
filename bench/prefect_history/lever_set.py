"""The levers bench/prefect_history/levers.py measures on Prefect's task-run pages: things
Duka can ship without changing Prefect (indexes on Prefect's task_run table, created after
Prefect's migrations; PostgreSQL settings of Prefect's database; Prefect server settings).
The first is the reference: Duka's settings as they are (devtools/prefect_server.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bench.prefect_history.ui_calls import WEEK


@dataclass(frozen=True, slots=True)
class Lever:
    name: str
    ddl: tuple[str, ...] = ()
    """Run on Prefect's database before the calls."""
    undo: tuple[str, ...] = ()
    """Run after them: the next lever starts from Duka's settings."""
    settings: dict[str, str] = field(default_factory=dict)
    """PostgreSQL settings of Prefect's database (ALTER DATABASE … SET), over Duka's."""
    env: dict[str, str] = field(default_factory=dict)
    """The Prefect server's environment, over Duka's."""
    window: timedelta = WEEK
    """The date range of the UI's calls: "Past week" unless a user saved another default."""


# Index-only scans for the calls that read every task run of the window: the counts by
# state and the history (filtered on expected_start_time) and the dashboard's counts
# (filtered on start_time), each with every column it reads, so no heap page is visited.
# Plain, not partial: the state filters are bind parameters, which a generic plan cannot
# match to a partial index's predicate.
_COVER = (
    "CREATE INDEX IF NOT EXISTS duka_ix_task_run__expected_start_time_cover ON task_run "
    "(expected_start_time DESC) INCLUDE (state_type, state_name, start_time, total_run_time, "
    "state_timestamp, id)",
    "CREATE INDEX IF NOT EXISTS duka_ix_task_run__start_time_cover ON task_run "
    "(start_time) INCLUDE (state_type, end_time)",
    "VACUUM (ANALYZE) task_run",
)
_UNCOVER = (
    "DROP INDEX IF EXISTS duka_ix_task_run__expected_start_time_cover",
    "DROP INDEX IF EXISTS duka_ix_task_run__start_time_cover",
)
# The planner's settings for a database that fits in memory: memory for sorts and hashes,
# random reads priced as cached. And no parallel workers, for two cores shared with others.
_MEMORY = {"work_mem": "64MB", "random_page_cost": "1.1", "effective_cache_size": "2GB"}
_SERIAL = {"max_parallel_workers_per_gather": "0"}

LEVERS: list[Lever] = [
    Lever("duka"),
    Lever("covering indexes", ddl=_COVER, undo=_UNCOVER),
    Lever("work_mem 64MB, random_page_cost 1.1", settings=_MEMORY),
    Lever("no parallel workers", settings=_SERIAL),
    Lever("indexes + work_mem", ddl=_COVER, undo=_UNCOVER, settings=_MEMORY),
    Lever("UI window: past day", window=timedelta(days=1)),
]
