"""The callback secret in a URL path never leaves the process: not in logs, not in a
problem's `instance`, not in access logs (issue 11, Low)."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from api.deps import get_report_service, get_suppression_service
from api.main import create_app
from duka.core.settings import Settings

pytestmark = pytest.mark.anyio

SECRET = "callback-secret-3f1c0a2e8b1d"
NEAR_MISS = "callback-secret-3f1c0a2e8b1e"
PATH = "/api/v1/webhooks/africastalking/delivery/"
FORM = {"id": "ATXid_1", "status": "Success", "phoneNumber": "+254712345678"}


def server_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What the API logged (the test's own httpx client logs the URL it sends to)."""
    formatter = logging.Formatter()
    return "\n".join(
        formatter.format(r) for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )


class Exploding:
    async def apply(self, report: object) -> str:
        raise RuntimeError("a bug while applying the report")


def client(max_body_bytes: int = 1_048_576) -> httpx.AsyncClient:
    app = create_app(Settings(at_callback_secret=SecretStr(SECRET), max_body_bytes=max_body_bytes))
    app.dependency_overrides[get_report_service] = Exploding
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://duka.test")


async def test_a_500_on_the_secret_path_logs_and_answers_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client() as c:
        r = await c.post(PATH + SECRET, data=FORM)
    assert r.status_code == 500
    assert "a bug while applying the report" in server_logs(caplog)  # the error is logged
    assert SECRET not in server_logs(caplog)
    assert SECRET not in r.text
    assert r.json()["instance"] == PATH + "[redacted]"


@pytest.mark.parametrize("given", [NEAR_MISS, SECRET])
async def test_refusals_on_the_secret_path_do_not_echo_it(
    given: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client(max_body_bytes=1024) as c:
        too_large = await c.post(
            PATH + given,
            content=b"x" * 2048,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        wrong = await c.post(PATH + NEAR_MISS, data=FORM)
    assert too_large.status_code == 413
    assert wrong.status_code == 401
    for r in (too_large, wrong):
        assert given not in r.text
        assert NEAR_MISS not in r.text
        assert r.json()["instance"] == PATH + "[redacted]"
    assert given not in server_logs(caplog)


def test_access_log_lines_show_no_secret() -> None:
    from duka.core.redaction import RedactSecretPaths

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", PATH + SECRET + "?x=1", "1.1", 200),
        None,
    )
    assert RedactSecretPaths().filter(record)
    assert SECRET not in record.getMessage()
    assert PATH + "[redacted]?x=1" in record.getMessage()
    # Other lines pass unchanged.
    other = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s", ("/api/v1/orders",), None
    )
    assert RedactSecretPaths().filter(other)
    assert other.getMessage() == "/api/v1/orders"


class ExplodingSuppressions:
    async def opt_out(self, opt_out: object) -> bool:
        raise RuntimeError("a bug while storing the opt-out")


async def test_the_opt_out_callbacks_secret_path_is_redacted_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    opt_out = "/api/v1/webhooks/africastalking/opt-out/"
    app = create_app(Settings(at_callback_secret=SecretStr(SECRET)))
    app.dependency_overrides[get_suppression_service] = ExplodingSuppressions
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://duka.test") as c:
        r = await c.post(opt_out + SECRET, data={"phoneNumber": "+254712345678"})
        wrong = await c.post(opt_out + NEAR_MISS, data={"phoneNumber": "+254712345678"})
    assert r.status_code == 500
    assert "a bug while storing the opt-out" in server_logs(caplog)
    assert SECRET not in server_logs(caplog)
    assert NEAR_MISS not in server_logs(caplog)
    assert r.json()["instance"] == opt_out + "[redacted]"
    assert wrong.status_code == 401
    assert wrong.json()["instance"] == opt_out + "[redacted]"
