"""`make dev` (`python -m devtools.dev`): the whole local stack in the foreground, with every
URL printed. Dev tooling: the product's `duka` command does not know it."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

import httpx

from devtools.http_wait import NotReadyError, wait_for_http
from devtools.keycloak import KeycloakServer
from devtools.keycloak_api import AdminApi, dev_summary, ensure_docs_redirect
from devtools.keycloak_dist import KeycloakError, progress
from devtools.processes import stop_process
from devtools.sms_stack import start_sms_stack
from duka.core.settings import Settings, get_settings
from duka.db import migrate
from duka.db.embedded import EmbeddedPostgresError, for_state_dir


def _dev_keycloak(settings: Settings) -> KeycloakServer | None:
    """The local Keycloak (data kept in the state folder), unless DUKA_OIDC_ISSUER is set."""
    if settings.oidc_issuer is not None:
        return None
    return KeycloakServer(
        instance_dir=(settings.state_dir / "keycloak").resolve(), http_port=settings.oidc_dev_port
    )


def _allow_docs_login(keycloak: KeycloakServer, base: str, client_id: str) -> None:
    """The realm file registers the docs' and GraphiQL's redirects on port 8000 only; add
    this port's."""
    admin = AdminApi(keycloak.base_url, keycloak.admin_user, keycloak.admin_password)
    try:
        ensure_docs_redirect(admin, base, client_id)
    except httpx.HTTPError as exc:
        print(f"[duka] the /docs and GraphiQL login may not work on {base}: {exc}", file=sys.stderr)


def run_dev(settings: Settings) -> int:
    started = time.monotonic()
    keycloak = _dev_keycloak(settings)
    try:
        if keycloak is not None:
            keycloak.start()  # starts in the background while PostgreSQL comes up
        return _run(settings, keycloak, started)
    except KeycloakError as exc:
        print(f"[duka] {exc}", file=sys.stderr)
        return 1
    finally:
        if keycloak is not None:
            keycloak.stop()


def _run(settings: Settings, keycloak: KeycloakServer | None, started: float) -> int:
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        return _run_stack(settings, keycloak, url, "DUKA_DATABASE_URL", started)
    embedded = for_state_dir(settings.state_dir, settings.embedded_pg_port)
    # Ctrl-C stops what this run started; an embedded server that was already up stays up.
    started_here = not embedded.is_ready()
    db_url = embedded.ensure_running()
    try:
        shown = f"{db_url} (embedded, data in {settings.state_dir / 'postgres'})"
        return _run_stack(settings, keycloak, db_url, shown, started)
    finally:
        if started_here:
            embedded.stop()


def _keycloak_lines(settings: Settings, keycloak: KeycloakServer | None, base: str) -> list[str]:
    if keycloak is None:
        return ["  Keycloak     yours (DUKA_OIDC_ISSUER)"]
    keycloak.wait_ready()
    if settings.port != 8000:
        _allow_docs_login(keycloak, base, settings.oidc_docs_client_id)
    return [
        f"  Keycloak     {keycloak.base_url}/admin  (console login {keycloak.admin_user} / "
        f"{keycloak.admin_password}; log {keycloak.log_file})",
    ]


def _graphql_lines(settings: Settings, base: str) -> list[str]:
    ws = "ws" + base.removeprefix("http")
    lines = [f"  GraphQL      POST {base}/graphql  (subscriptions: {ws}/graphql)"]
    if settings.graphql_ide_enabled:
        lines.append(f"  GraphiQL     {base}/graphql  (log in with a demo user below)")
    return lines


def _run_stack(
    settings: Settings,
    keycloak: KeycloakServer | None,
    db_url: str,
    db_shown: str,
    started: float,
) -> int:
    progress("PostgreSQL is up: applying migrations")
    migrate.upgrade(settings.sqlalchemy_url(db_url))
    base = f"http://{settings.host}:{settings.port}"
    sms = start_sms_stack(settings, db_url, api_base_url=base)
    # The API first: its imports take seconds, spent while Prefect and Keycloak come up.
    api = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--access-log"],
        env={**os.environ, **sms.api_env()},
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        # Prefect server + UI, the Africa's Talking sandbox and the SMS runner, stopped on exit.
        progress("starting Prefect (server and UI), the Africa's Talking sandbox, the SMS runner")
        prefect_started = time.monotonic()
        with sms:
            progress(
                f"Prefect and the SMS runner are up in {time.monotonic() - prefect_started:.0f} s"
            )
            # Keycloak started first and came up meanwhile (its first start builds for minutes).
            login = _keycloak_lines(settings, keycloak, base)
            try:
                wait_for_http(f"{base}/readyz", timeout_s=60, process=api, what="API")
            except NotReadyError as exc:
                print(f"[duka] {exc}; see the log above", file=sys.stderr)
                return 1
            print(
                "\n".join(
                    [
                        "",
                        f"Duka is running, ready {time.monotonic() - started:.0f} s after "
                        "`make dev` started (Ctrl-C stops it):",
                        f"  API          {base}/api/v1  (every route needs a bearer token)",
                        f"  API docs     {base}/docs  (Authorize: log in as a demo user)",
                        f"  OpenAPI      {base}/openapi.json",
                        *_graphql_lines(settings, base),
                        f"  Health       {base}/healthz  {base}/readyz",
                        f"  PostgreSQL   {db_shown}",
                        *login,
                        *[f"  {label:<12} {url}" for label, url in sms.urls()],
                        *dev_summary(settings.oidc_issuer_url, base),
                        "",
                    ]
                ),
                flush=True,
            )
            return api.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_process(api, grace_s=10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.dev", description=__doc__)
    parser.parse_args(argv)
    try:
        return run_dev(get_settings())
    except EmbeddedPostgresError as exc:
        # A setup problem with a fix to name, not a crash: one line, no traceback.
        print(f"[duka] error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
