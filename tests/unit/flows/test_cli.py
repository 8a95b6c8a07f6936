from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from flows.__main__ import configure_logging, main


def test_it_refuses_to_start_without_a_prefect_server() -> None:
    import prefect.context

    # By hand, not monkeypatch: Prefect must re-read the restored value before others run.
    saved = os.environ.pop("PREFECT_API_URL", None)
    prefect.context.refresh_global_settings_context()
    try:
        with pytest.raises(SystemExit) as stopped:
            main(["run"])
    finally:
        if saved is not None:
            os.environ["PREFECT_API_URL"] = saved
        prefect.context.refresh_global_settings_context()
    assert stopped.value.code == 2


def test_unknown_commands_are_refused() -> None:
    with pytest.raises(SystemExit):
        main(["explode"])


def test_task_run_lines_are_kept_for_failures_by_default() -> None:
    configure_logging("WARNING")
    assert logging.getLogger("prefect.task_runs").level == logging.WARNING


def test_the_level_holds_once_prefect_configures_its_logging() -> None:
    # A fresh interpreter: Prefect sets its loggers up when the flow engine is first
    # imported, which reset the level in the runner before (every task run logged at INFO).
    script = (
        "import logging\n"
        "from flows.__main__ import configure_logging\n"
        "configure_logging('WARNING')\n"
        "import prefect.flow_engine, prefect.task_engine, flows.runner\n"
        "print(logging.getLogger('prefect.task_runs').level, logging.getLogger().level)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == [str(logging.WARNING), str(logging.INFO)]
