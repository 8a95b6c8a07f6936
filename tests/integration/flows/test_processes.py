"""Several runner processes under one `python -m flows`: the supervisor starts them,
restarts one that dies and stops them all (first with stand-in children), and real runners
side by side send every SMS exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from devtools.at_sandbox.runner import SandboxServer
from devtools.prefect_server import PrefectServer
from duka.db.engine import Database
from flows import processes
from flows.processes import Supervisor, child_command
from tests.support.sms_flows import (
    add_customers,
    create_orders,
    inbox_counts,
    settings_for,
    settled,
)

pytestmark = pytest.mark.anyio


def _child(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def _recorded(folder: Path) -> set[str]:
    return {p.read_text() for p in folder.iterdir()}


async def _until(check: object, timeout_s: float = 20.0) -> None:
    assert callable(check)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_children_are_single_runners_and_all_stop_together(tmp_path: Path) -> None:
    # Each child records its DUKA_SMS_PROCESSES and waits to be terminated.
    script = (
        "import os, pathlib, signal, sys, time\n"
        f"out = pathlib.Path({str(tmp_path)!r}) / str(os.getpid())\n"
        "out.write_text(os.environ['DUKA_SMS_PROCESSES'])\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
        "time.sleep(60)\n"
    )
    supervisor = Supervisor(3, _child(script), env={"DUKA_SMS_PROCESSES": "3"}, grace_s=10)
    running = asyncio.create_task(supervisor.run())
    await _until(lambda: len(list(tmp_path.iterdir())) == 3)
    supervisor.stop.set()
    assert await asyncio.wait_for(running, 20) == 0
    assert _recorded(tmp_path) == {"1"}
    assert all(c.returncode == 0 for c in supervisor.children.values())
    assert supervisor.restarts == 0


async def test_a_child_that_dies_is_started_again(tmp_path: Path) -> None:
    # The first child of the slot crashes at once, the next one stays up.
    marker = tmp_path / "crashed"
    script = (
        "import pathlib, signal, sys, time\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n"
        "    marker.write_text('x')\n"
        "    sys.exit(3)\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
        "time.sleep(60)\n"
    )
    supervisor = Supervisor(1, _child(script), env={}, grace_s=10)
    running = asyncio.create_task(supervisor.run())
    await _until(lambda: supervisor.restarts == 1)
    await _until(lambda: supervisor.children[0].returncode is None)
    supervisor.stop.set()
    assert await asyncio.wait_for(running, 20) == 0


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    script = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n"
    supervisor = Supervisor(1, _child(script), env={}, grace_s=1)
    running = asyncio.create_task(supervisor.run())
    await _until(lambda: 0 in supervisor.children)
    await asyncio.sleep(0.5)  # its handler is in place
    supervisor.stop.set()
    assert await asyncio.wait_for(running, 20) == 0
    assert supervisor.children[0].returncode == -9


def test_the_children_are_runners_of_this_interpreter() -> None:
    assert child_command() == [sys.executable, "-m", "flows", "run"]
    with pytest.raises(ValueError):
        Supervisor(0)
    assert processes.BACKOFF_MAX_S >= 1


async def test_runner_processes_side_by_side_send_each_sms_once(
    prefect_server: PrefectServer, db: Database, sandbox: SandboxServer, database_url: str
) -> None:
    orders = 60
    settings = settings_for(database_url, sandbox)
    customers = await add_customers(db, orders)
    env = {
        **os.environ,
        "DUKA_DATABASE_URL": database_url,
        "DUKA_AT_USERNAME": sandbox.config.username,
        "DUKA_AT_API_KEY": sandbox.config.api_key,
        "DUKA_AT_BASE_URL": sandbox.base_url,
        "DUKA_SMS_PROCESSES": "2",
        "PREFECT_API_URL": prefect_server.api_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flows",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        listening = 0
        while listening < 2:
            line = await asyncio.wait_for(process.stderr.readline(), 120)
            assert line, "the supervisor ended early"
            listening += b"listening for new orders" in line
        await create_orders(db, settings, customers)
        assert await settled(db, orders, timeout_s=120) == {"sent": orders}
    finally:
        process.send_signal(signal.SIGTERM)
        drained = asyncio.create_task(process.stderr.read())
        code = await asyncio.wait_for(process.wait(), 60)
        await drained
    assert code == 0
    per_number = inbox_counts(sandbox)
    assert len(per_number) == orders
    assert set(per_number.values()) == {1}
