"""Log lines: JSON objects with the fixed fields and the context's, or plain text."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from duka.core import log_context
from duka.core.logs import LogFormat, configure_logging, logging_config
from duka.core.settings import Settings


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """The root logger's handler writing into a buffer, restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def use(fmt: LogFormat, buffer: io.StringIO, service: str = "api") -> None:
    config = logging_config(fmt, "info", service)
    config["handlers"]["default"]["stream"] = buffer
    logging.config.dictConfig(config)


def test_json_lines_have_the_fixed_fields_then_the_context(stream: io.StringIO) -> None:
    use("json", stream)
    with log_context.bound(request_id="req-1", traceparent="00-ab-cd-01", empty=None):
        logging.getLogger("duka.test").info("order %s", "accepted", extra={"order_ref": "ORD-1"})
    line = stream.getvalue()
    assert line.count("\n") == 1
    record = json.loads(line)
    assert list(record)[:4] == ["time", "level", "logger", "message"]
    assert record["level"] == "INFO"
    assert record["logger"] == "duka.test"
    assert record["message"] == "order accepted"
    assert record["time"].endswith("+00:00")
    assert record["request_id"] == "req-1"
    assert record["traceparent"] == "00-ab-cd-01"
    assert record["order_ref"] == "ORD-1"
    assert record["service"] == "api"
    assert "empty" not in record
    assert "taskName" not in record


def test_the_context_ends_with_its_block(stream: io.StringIO) -> None:
    use("json", stream)
    with log_context.bound(request_id="req-2"):
        pass
    logging.getLogger("duka.test").warning("later")
    assert "request_id" not in json.loads(stream.getvalue())


def test_an_extra_field_wins_over_the_context(stream: io.StringIO) -> None:
    use("json", stream)
    with log_context.bound(order_ref="ORD-CONTEXT"):
        logging.getLogger("duka.test").info("x", extra={"order_ref": "ORD-EXTRA"})
    assert json.loads(stream.getvalue())["order_ref"] == "ORD-EXTRA"


def test_an_exception_stays_on_one_json_line(stream: io.StringIO) -> None:
    use("json", stream)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("duka.test").exception("failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "ValueError: boom" in json.loads(lines[0])["exc_info"]


def test_text_lines_show_the_order_and_request(stream: io.StringIO) -> None:
    use("text", stream)
    with log_context.bound(request_id="req-3", trace_id="t"):
        logging.getLogger("duka.test").info("order accepted", extra={"order_ref": "ORD-2"})
    logging.getLogger("duka.test").info("plain")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("INFO duka.test: order accepted [order_ref=ORD-2 request_id=req-3]")
    assert second.endswith("INFO duka.test: plain")


def test_uvicorns_loggers_go_through_the_root_handler(stream: io.StringIO) -> None:
    use("json", stream)
    logging.getLogger("uvicorn.error").info(
        "Started server process", extra={"color_message": "Started \x1b[36mserver\x1b[0m"}
    )
    line = json.loads(stream.getvalue())
    assert line["logger"] == "uvicorn.error"
    assert "color_message" not in line


def test_httpx_requests_stay_out_of_the_log_and_its_warnings_do_not(
    stream: io.StringIO,
) -> None:
    use("json", stream)
    logging.getLogger("httpx").info("HTTP Request: POST http://prefect/api/task_runs/")
    assert stream.getvalue() == ""
    logging.getLogger("httpx").warning("retrying")
    assert json.loads(stream.getvalue())["message"] == "retrying"


def test_configure_logging_replaces_the_root_handlers(stream: io.StringIO) -> None:
    root = logging.getLogger()
    root.addHandler(logging.NullHandler())
    configure_logging("json", "warning", "flows")
    assert len(root.handlers) == 1
    assert root.level == logging.WARNING


@pytest.mark.parametrize(
    ("environment", "given", "effective"),
    [
        ("production", None, "json"),
        ("development", None, "text"),
        ("test", None, "text"),
        ("production", "text", "text"),
        ("development", "json", "json"),
    ],
)
def test_the_format_defaults_to_json_in_production(
    environment: str, given: str | None, effective: str
) -> None:
    settings = Settings(environment=environment, log_format=given)
    assert settings.log_format_effective == effective
