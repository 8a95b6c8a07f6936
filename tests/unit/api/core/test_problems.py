from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.requests import Request

from api.core.problems import (
    PROBLEM_JSON,
    _field_path,
    problem_response,
    request_validation_errors,
)
from api.core.responses import problems
from duka.core.errors import FieldError
from duka.db.errors import is_database_unavailable


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "name"), "name"),
        (("body", "items", 3, "amount"), "items.3.amount"),
        (("body",), "body"),
        ((), "body"),
        (("query", "limit"), "query.limit"),
        (("path", "customer_id"), "path.customer_id"),
        (("header", "idempotency-key"), "header.idempotency-key"),
    ],
)
def test_field_paths_drop_the_body_prefix_only(loc: tuple[Any, ...], field: str) -> None:
    assert _field_path(loc) == field


def errors_of(*raw: dict[str, Any]) -> list[FieldError]:
    return request_validation_errors(RequestValidationError(list(raw)))


def test_value_error_prefix_is_dropped_and_codes_kept() -> None:
    [error] = errors_of(
        {
            "loc": ("body", "phone"),
            "msg": "Value error, is not a phone number",
            "type": "value_error",
        }
    )
    assert error == FieldError(field="phone", message="is not a phone number", code="value_error")


def test_missing_keys_get_defaults() -> None:
    [error] = errors_of({})
    assert error == FieldError(field="body", message="invalid value", code="invalid")


def test_every_error_is_kept_in_order() -> None:
    got = errors_of(
        {"loc": ("body", "name"), "msg": "Field required", "type": "missing"},
        {"loc": ("query", "limit"), "msg": "too big", "type": "less_than_equal"},
    )
    assert [(e.field, e.code) for e in got] == [
        ("name", "missing"),
        ("query.limit", "less_than_equal"),
    ]


def test_json_syntax_errors_name_the_body_not_the_offset() -> None:
    [error] = errors_of(
        {
            "loc": ("body", 14),
            "msg": "JSON decode error",
            "type": "json_invalid",
            "ctx": {"error": "Expecting value"},
        }
    )
    assert error.field == "body"
    assert error.code == "json_invalid"
    assert error.message == "the body is not valid JSON: Expecting value at character 14"


def test_json_syntax_error_without_context_or_offset() -> None:
    [error] = errors_of({"loc": ("body",), "msg": "JSON decode error", "type": "json_invalid"})
    assert (error.field, error.message) == ("body", "the body is not valid JSON: invalid syntax")


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("SELECT 1", {}, Exception("connection refused")),
        InterfaceError("SELECT 1", {}, Exception("closed")),
        PoolTimeoutError("pool exhausted"),
        DBAPIError("SELECT 1", {}, Exception("lost"), connection_invalidated=True),
        psycopg.OperationalError("server closed the connection"),
        ConnectionRefusedError(111, "refused"),
    ],
)
def test_database_outages_are_recognised(exc: BaseException) -> None:
    assert is_database_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        IntegrityError("INSERT", {}, Exception("duplicate")),
        DBAPIError("SELECT 1", {}, Exception("syntax")),
        ValueError("bug"),
        RuntimeError("bug"),
    ],
)
def test_other_errors_are_not_outages(exc: BaseException) -> None:
    assert not is_database_unavailable(exc)


def request_for(path: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    )


def test_problem_response_shape() -> None:
    r = problem_response(
        request_for("/api/v1/x"),
        status=422,
        slug="validation-error",
        title="Bad",
        detail="2 problems",
        errors=[FieldError("a", "m"), FieldError("phone", "bad", row=7, code="invalid_phone")],
        headers={"X-Extra": "1"},
    )
    assert r.status_code == 422
    assert r.media_type == PROBLEM_JSON
    assert r.headers["x-extra"] == "1"
    assert json.loads(bytes(r.body)) == {
        "type": "urn:duka:problem:validation-error",
        "title": "Bad",
        "status": 422,
        "detail": "2 problems",
        "instance": "/api/v1/x",
        "errors": [
            {"field": "a", "message": "m", "code": "invalid"},
            {"field": "phone", "message": "bad", "code": "invalid_phone", "row": 7},
        ],
    }


def test_problem_response_without_errors_has_no_errors_member() -> None:
    r = problem_response(request_for("/p"), status=404, slug="not-found", title="Nope")
    assert json.loads(bytes(r.body)) == {
        "type": "urn:duka:problem:not-found",
        "title": "Nope",
        "status": 404,
        "detail": None,
        "instance": "/p",
    }


def test_documented_responses_always_include_503() -> None:
    documented = problems(404, 422)
    assert set(documented) == {404, 422, 503}
    assert all(PROBLEM_JSON in v["content"] for v in documented.values())
    assert documented[422]["description"].startswith("Invalid input")
