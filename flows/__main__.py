"""`python -m flows` (or `duka-flows`): the SMS runner, or one-off dispatch and sweep runs.

Needs the API's settings (DUKA_DATABASE_URL, DUKA_AT_*), the runner's (DUKA_SMS_*) and
PREFECT_API_URL: without it Prefect would start a throwaway server inside this process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.context import RunnerContext
    from flows.settings import SmsFlowSettings


def configure_logging(task_log_level: str, level: str = "info") -> None:
    # Prefect configures logging when `prefect.main` is first imported (by the flow engine,
    # lazily), which would reset the levels set below: have that done first, then put the
    # process's own format (DUKA_LOG_FORMAT) and level in place of Prefect's on the root
    # logger.
    import prefect.main  # noqa: F401

    from duka.core.logs import configure_logging as configure_root
    from duka.core.settings import get_settings

    configure_root(get_settings().log_format_effective, level, "flows")
    # One line per task run is what caps the sending rate (docs/benchmarks.md): keep them
    # for failures unless asked for. Flow runs keep their INFO summaries.
    logging.getLogger("prefect.task_runs").setLevel(task_log_level)


async def _run_forever() -> int:
    from duka.notifications.template import check_template_length
    from flows import heap
    from flows.context import RunnerContext
    from flows.runner import SmsRunner

    # The process's composition root: one context, owned here, passed to the runner.
    ctx = await RunnerContext.open()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # Logged once per runner: each segment of every order SMS is billed.
    check_template_length(ctx.settings.sms_template, ctx.settings.zone)
    runner = SmsRunner(ctx)
    heap.settle()  # start-up is done: what it built lives as long as the process
    print(f"[duka-flows] runner {runner.id} listening for new orders", file=sys.stderr, flush=True)
    sampler = _start_outbox_sampler(ctx)
    try:
        await runner.run(stop)
    finally:
        if sampler is not None:
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
        await ctx.aclose()
    return 0


def _start_outbox_sampler(ctx: RunnerContext) -> asyncio.Task[None] | None:
    if not ctx.settings.metrics_enabled:
        return None
    from flows.metrics import sample_outbox_forever

    return asyncio.create_task(sample_outbox_forever(ctx.db, ctx.sms.outbox_sample_s))


@contextmanager
def _metrics(command: str, sms: SmsFlowSettings) -> Iterator[None]:
    """The long-lived runner (or its supervisor, the parent of every runner process) owns
    the multiprocess directory and serves the sum on DUKA_SMS_METRICS_PORT."""
    from duka.core.settings import get_settings
    from duka.metrics.multiprocess import ENV, metrics_server

    settings = get_settings()
    # A runner process started by the supervisor records into its parent's directory.
    if command != "run" or not settings.metrics_enabled or ENV in os.environ:
        yield
        return

    with metrics_server(settings.metrics_host, sms.metrics_port) as port:
        print(
            f"[duka-flows] metrics on http://{settings.metrics_host}:{port}/metrics",
            file=sys.stderr,
            flush=True,
        )
        yield


async def _once(which: str) -> int:
    # A flow called with no context opens its own for the run (flows/context.py).
    if which == "send-pending":
        from flows.dispatch import dispatch_order_sms

        print(await dispatch_order_sms())
    elif which == "prune":
        from flows.retention import prune_abandoned_runs

        print(await prune_abandoned_runs())
    elif which == "report":
        from flows.report import report_order_sms

        print(await report_order_sms())
    else:
        from flows.sweep import sweep_order_sms

        print(await sweep_order_sms())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="duka-flows", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "send-pending", "sweep", "prune", "report"],
        help="run: the long-lived runner (default); send-pending: one dispatch run that "
        "sends what is pending; sweep: one sweeper run; prune: one retention run "
        "(deletes Duka's abandoned Prefect runs, flows/retention.py); report: the SMS report "
        "of the last complete period (a markdown artifact)",
    )
    args = parser.parse_args(argv)

    from prefect.settings import get_current_settings

    from flows.settings import get_sms_settings

    if not get_current_settings().api.url:
        parser.error("PREFECT_API_URL is not set (the Prefect server's API, e.g. .../api)")
    sms = get_sms_settings()
    configure_logging(sms.task_log_level)
    with _metrics(args.command, sms):
        if args.command == "run" and sms.processes > 1:
            from flows.processes import supervise

            return asyncio.run(supervise(sms.processes))
        if args.command == "run":
            return asyncio.run(_run_forever())
    return asyncio.run(_once(args.command))


if __name__ == "__main__":
    sys.exit(main())
