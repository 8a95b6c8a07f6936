"""The SMS half of `make dev`: a Prefect server (UI included, database `prefect` on the same
PostgreSQL), the local Africa's Talking sandbox, and the SMS runner, as child processes.

devtools/dev.py calls it like this (the API process needs `stack.api_env()` for the callback):

    with start_sms_stack(settings, db_url, api_base_url=base) as stack:
        api = subprocess.Popen([...], env={**os.environ, **stack.api_env()})
        for label, url in stack.urls():
            print(f"  {label:<12} {url}")
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from pydantic import TypeAdapter
from sqlalchemy.engine import make_url

from devtools.at_sandbox.config import DEFAULT_API_KEY
from devtools.http_wait import wait_for_http
from devtools.prefect_server import PrefectServer
from devtools.processes import stop_process
from duka.core.settings import Settings
from flows.settings import SmsFlowSettings

CALLBACK_PATH = "/api/v1/webhooks/africastalking/delivery"
OPT_OUT_PATH = "/api/v1/webhooks/africastalking/opt-out"
CALLBACK_USER = "africastalking"
# Dev defaults the environment can override: the sandbox can be asked whether a message
# arrived, so unknown outcomes settle in seconds instead of waiting for an operator.
# Metrics are on (docs/operations.md): `make dev` is one stack on fixed ports already.
RUNNER_DEFAULTS = {
    "DUKA_SMS_UNKNOWN_LOOKUP": "sandbox_inbox",
    "DUKA_SMS_UNKNOWN_GRACE_S": "20",
    "DUKA_METRICS_ENABLED": "true",
}
READY_TIMEOUT_S = 60.0


@dataclass
class SmsStack:
    settings: Settings
    database_url: str
    api_base_url: str
    state_dir: Path
    prefect_port: int = 4200
    sandbox_port: int = 8025
    callback_secret: str = ""
    prefect: PrefectServer | None = None
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sandbox_url(self) -> str:
        return self.settings.at_base_url or f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def api_key(self) -> str:
        key = self.settings.at_api_key
        return key.get_secret_value() if key is not None else DEFAULT_API_KEY

    def callback_url(self, with_secret: bool = True, path: str = CALLBACK_PATH) -> str:
        parts = urlsplit(self.api_base_url)
        auth = f"{CALLBACK_USER}:{self.callback_secret}@" if with_secret else ""
        return f"{parts.scheme}://{auth}{parts.netloc}{path}"

    def api_env(self) -> dict[str, str]:
        """What the API process needs: the secret the sandbox's callbacks carry (chosen on
        first use, so that the API can start while the stack comes up)."""
        self._choose_callback_secret()
        return {"DUKA_AT_CALLBACK_SECRET": self.callback_secret, **self._metrics_env()}

    def _metrics_env(self) -> dict[str, str]:
        # The dev default, unless the environment says otherwise (as for the runner).
        return {"DUKA_METRICS_ENABLED": os.environ.get("DUKA_METRICS_ENABLED", "true")}

    def metrics_urls(self) -> str | None:
        """Where the API's and the runner's metrics are, when they are on."""
        if not TypeAdapter(bool).validate_python(self._metrics_env()["DUKA_METRICS_ENABLED"]):
            return None
        host = self.settings.metrics_host
        runner_port = SmsFlowSettings().metrics_port
        return (
            f"http://{host}:{self.settings.metrics_port}/metrics (API)  "
            f"http://{host}:{runner_port}/metrics (SMS runner)"
        )

    def _choose_callback_secret(self) -> None:
        if not self.callback_secret:
            secret = self.settings.at_callback_secret
            self.callback_secret = (
                secret.get_secret_value() if secret is not None else secrets.token_urlsafe(24)
            )

    def runner_env(self) -> dict[str, str]:
        assert self.prefect is not None
        return {
            **RUNNER_DEFAULTS,
            **os.environ,
            "DUKA_DATABASE_URL": self.database_url,
            "DUKA_AT_USERNAME": self.settings.at_username,
            "DUKA_AT_API_KEY": self.api_key,
            "DUKA_AT_BASE_URL": self.sandbox_url,
            **self.prefect.client_env(),
        }

    def urls(self) -> list[tuple[str, str]]:
        assert self.prefect is not None
        return [
            ("Prefect UI", self.prefect.url),
            ("SMS inbox", f"{self.sandbox_url}/_sandbox/inbox.html"),
            ("AT sandbox", f"{self.sandbox_url}/version1/messaging (faults: /_sandbox/faults)"),
            ("DLR webhook", f"{self.callback_url(with_secret=False)} (basic auth)"),
            (
                "Opt-out hook",
                f"{self.callback_url(with_secret=False, path=OPT_OUT_PATH)} (basic auth; "
                f"opt a number out: POST {self.sandbox_url}/_sandbox/opt-out)",
            ),
            ("Metrics", self.metrics_urls() or "off (DUKA_METRICS_ENABLED=false)"),
        ]

    def start(self) -> None:
        self._choose_callback_secret()
        home = self.state_dir.resolve() / "prefect"
        prefect_db = make_url(self.database_url).set(database="prefect")
        self.prefect = PrefectServer(
            database_url=prefect_db.render_as_string(hide_password=False),
            home=home,
            port=self.prefect_port,
        )
        self.prefect.start()
        if self.settings.at_base_url is None:
            sandbox = self._spawn(
                [
                    "-m",
                    "devtools.at_sandbox",
                    "--port",
                    str(self.sandbox_port),
                    "--username",
                    self.settings.at_username,
                    "--api-key",
                    self.api_key,
                    "--callback-url",
                    self.callback_url(),
                    "--opt-out-url",
                    self.callback_url(path=OPT_OUT_PATH),
                ],
                env=dict(os.environ),
            )
            wait_for_http(
                f"{self.sandbox_url}/_sandbox/health",
                timeout_s=READY_TIMEOUT_S,
                process=sandbox,
                what="AT sandbox",
            )
        self.prefect.wait_ready()
        self._spawn(["-m", "flows"], env=self.runner_env())

    def _spawn(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, *args], env=env)  # noqa: S603 - fixed argv
        self._processes.append(process)
        return process

    def stop(self) -> None:
        # The runner first: it finishes the sends it holds while the sandbox still answers.
        for process in reversed(self._processes):
            if process.poll() is None:
                stop_process(process, grace_s=20)
        self._processes.clear()
        if self.prefect is not None:
            self.prefect.stop()

    def __enter__(self) -> SmsStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_sms_stack(
    settings: Settings,
    database_url: str,
    *,
    api_base_url: str,
    prefect_port: int = 4200,
    sandbox_port: int = 8025,
) -> SmsStack:
    """The SMS stack for `make dev`, not started yet: use it as a context manager."""
    return SmsStack(
        settings=settings,
        database_url=database_url,
        api_base_url=api_base_url,
        state_dir=settings.state_dir,
        prefect_port=prefect_port,
        sandbox_port=sandbox_port,
    )
