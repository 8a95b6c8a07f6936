"""`duka` command: serve the API, run migrations, manage the embedded database.

The local stack (`make dev`) is dev tooling: `python -m devtools.dev`, outside the product."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from duka.core.settings import MissingProductionSettingsError, Settings, get_settings
from duka.db import migrate
from duka.db.embedded import EmbeddedPostgresError, for_state_dir
from duka.db.engine import resolve_database_url

# Named rather than uvicorn's "auto" (which falls back to asyncio and h11 without a word
# when these are missing): the image and `uv sync` install both with uvicorn[standard],
# and make bench serves its lean baseline with the same two (bench/servers.py).
SERVER_LOOP = "uvloop"
SERVER_HTTP = "httptools"


def _database_url(settings: Settings) -> str:
    return asyncio.run(resolve_database_url(settings))


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    settings.require_production_settings(database=True, oidc=False)
    url = settings.sqlalchemy_url(_database_url(settings))
    if args.downgrade:
        migrate.downgrade(url, args.downgrade)
    else:
        migrate.upgrade(url)
    print(f"[duka] migrations at {args.downgrade or migrate.head_revision()}", file=sys.stderr)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    settings.require_production_settings(database=True, oidc=True)
    if settings.database_url is None:
        # Start the embedded server once here, not in every worker.
        _database_url(settings)
    with _metrics(settings):
        _run_uvicorn(settings, args)
    return 0


@contextmanager
def _metrics(settings: Settings) -> Iterator[None]:
    """With metrics on, this process (uvicorn's parent, or its only worker) owns the
    multiprocess directory and serves the workers' sum on its own port."""
    if not settings.metrics_enabled:
        yield
        return
    from duka.metrics.multiprocess import metrics_server

    # uvicorn raises the SIGTERM/SIGINT it caught again once it has shut down, and the
    # default action would end the process before the directory is removed: this handler
    # turns it into an exception, and the signal is raised again after the cleanup.
    previous = {signum: signal.signal(signum, _stopped_by) for signum in _STOP_SIGNALS}
    try:
        with metrics_server(settings.metrics_host, settings.metrics_port) as port:
            print(
                f"[duka] metrics on http://{settings.metrics_host}:{port}/metrics", file=sys.stderr
            )
            yield
    except _StoppedBySignal as stopped:
        signal.signal(stopped.signum, signal.SIG_DFL)
        signal.raise_signal(stopped.signum)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _StoppedBySignal(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stopped_by(signum: int, frame: object) -> None:
    raise _StoppedBySignal(signum)


def _run_uvicorn(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from duka.core.logs import logging_config

    uvicorn.run(
        "api.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop=SERVER_LOOP,
        http=SERVER_HTTP,
        log_level=settings.log_level,
        # Each worker configures its logging from this (JSON lines in production).
        log_config=logging_config(settings.log_format_effective, settings.log_level, "api"),
        access_log=args.access_log,
        proxy_headers=True,
        server_header=False,
        # Bounds on what one worker holds at once (docs/security.md, "Server limits").
        limit_concurrency=settings.server_limit_concurrency,
        backlog=settings.server_backlog,
        timeout_keep_alive=settings.server_timeout_keep_alive_s,
        timeout_graceful_shutdown=settings.server_timeout_graceful_shutdown_s,
        limit_max_requests=settings.server_limit_max_requests,
    )


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    embedded = for_state_dir(settings.state_dir, settings.embedded_pg_port)
    if args.action == "start":
        print(embedded.ensure_running())
    elif args.action == "stop":
        embedded.stop()
    else:
        print(settings.database_url.get_secret_value() if settings.database_url else embedded.url)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="duka", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the API with uvicorn")
    p_serve.add_argument("--access-log", action="store_true")
    p_serve.set_defaults(func=cmd_serve)
    p_migrate = sub.add_parser("migrate", help="apply migrations (or --downgrade REV)")
    p_migrate.add_argument("--downgrade", metavar="REV")
    p_migrate.set_defaults(func=cmd_migrate)
    p_db = sub.add_parser("db", help="the embedded PostgreSQL server")
    p_db.add_argument("action", choices=["start", "stop", "url"])
    p_db.set_defaults(func=cmd_db)
    args = parser.parse_args(argv)
    try:
        result: int = args.func(get_settings(), args)
    except MissingProductionSettingsError as exc:
        print(f"[duka] refusing to start: {exc}", file=sys.stderr)
        return 2
    except EmbeddedPostgresError as exc:
        # A setup problem with a fix to name, not a crash: one line, no traceback.
        print(f"[duka] error: {exc}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    raise SystemExit(main())
