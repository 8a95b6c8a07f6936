"""`make dev`: the whole local stack in the foreground, with every URL printed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

import httpx

from api.core.settings import Settings
from api.db import migrate
from api.db.embedded import for_state_dir


def _wait_ready(url: str, timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def run_dev(settings: Settings) -> int:
    if settings.database_url is None:
        db_url = for_state_dir(settings.state_dir, settings.embedded_pg_port).ensure_running()
        db_shown = f"{db_url} (embedded, data in {settings.state_dir / 'postgres'})"
    else:
        db_url = settings.database_url.get_secret_value()
        db_shown = "DUKA_DATABASE_URL"
    migrate.upgrade(settings.sqlalchemy_url(db_url))
    api = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--access-log"])
    base = f"http://{settings.host}:{settings.port}"

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        if not _wait_ready(f"{base}/readyz"):
            print("[duka] the API did not become ready; see the log above", file=sys.stderr)
            return 1
        print(
            "\n".join(
                [
                    "",
                    "Duka is running (Ctrl-C stops it):",
                    f"  API          {base}/api/v1",
                    f"  API docs     {base}/docs",
                    f"  OpenAPI      {base}/openapi.json",
                    f"  Health       {base}/healthz  {base}/readyz",
                    f"  PostgreSQL   {db_shown}",
                    "",
                ]
            ),
            flush=True,
        )
        return api.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        api.terminate()
        try:
            api.wait(timeout=10)
        except subprocess.TimeoutExpired:
            api.kill()
