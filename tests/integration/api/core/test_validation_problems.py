"""Every way a request body can be wrong gives a 422 problem naming the field, and no row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio

Problem = Callable[[httpx.Response, int, str], dict[str, Any]]
Counter = Callable[[str], Awaitable[int]]

CUSTOMER: dict[str, Any] = {"name": "Jane Wanjiku", "phone": "0712345678"}
ORDER: dict[str, Any] = {"customer_code": "C-1", "item": "Tea", "amount": "10"}


def without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


CUSTOMER_CASES = [
    pytest.param(without(CUSTOMER, "name"), "name", "missing", id="name-missing"),
    pytest.param(without(CUSTOMER, "phone"), "phone", "missing", id="phone-missing"),
    pytest.param({**CUSTOMER, "name": "x" * 201}, "name", "too_long", id="name-too-long"),
    pytest.param({**CUSTOMER, "name": "  \t "}, "name", "too_short", id="name-blank"),
    pytest.param({**CUSTOMER, "name": ""}, "name", "too_short", id="name-empty"),
    pytest.param({**CUSTOMER, "name": "a\nb"}, "name", "value_error", id="name-newline"),
    pytest.param({**CUSTOMER, "name": "nul\x00"}, "name", "value_error", id="name-nul"),
    pytest.param({**CUSTOMER, "name": "\x1b[31mred"}, "name", "value_error", id="name-escape"),
    pytest.param({**CUSTOMER, "name": "del\x7f"}, "name", "value_error", id="name-del"),
    pytest.param({**CUSTOMER, "name": 123}, "name", "string_type", id="name-number"),
    pytest.param({**CUSTOMER, "name": None}, "name", "string_type", id="name-null"),
    pytest.param({**CUSTOMER, "code": "x" * 33}, "code", "too_long", id="code-too-long"),
    pytest.param({**CUSTOMER, "code": "  "}, "code", "too_short", id="code-blank"),
    pytest.param({**CUSTOMER, "code": "-lead"}, "code", "string_pattern_mismatch", id="code-dash"),
    pytest.param({**CUSTOMER, "code": "a b"}, "code", "string_pattern_mismatch", id="code-space"),
    pytest.param({**CUSTOMER, "phone": "12345"}, "phone", "invalid_phone", id="phone-invalid"),
    pytest.param({**CUSTOMER, "phone": "call me"}, "phone", "invalid_phone", id="phone-words"),
    pytest.param({**CUSTOMER, "phone": "07"}, "phone", "too_short", id="phone-short"),
    pytest.param({**CUSTOMER, "phone": "0" * 33}, "phone", "too_long", id="phone-long"),
    pytest.param({**CUSTOMER, "phone": "0712\n345678"}, "phone", "value_error", id="phone-ctl"),
    pytest.param({**CUSTOMER, "phone": 712345678}, "phone", "string_type", id="phone-number"),
    pytest.param({**CUSTOMER, "email": "a@b.c"}, "email", "extra_forbidden", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "field", "code"), CUSTOMER_CASES)
async def test_customer_body_errors(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    field: str,
    code: str,
    problem: Problem,
    count_rows: Counter,
) -> None:
    r = await client.post("/api/v1/customers", json=body)
    answer = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code)]
    assert all(e["message"] for e in answer["errors"])
    assert answer["detail"]
    assert await count_rows("customers") == 0


ORDER_CASES = [
    pytest.param(without(ORDER, "item"), "item", "missing", id="item-missing"),
    pytest.param(without(ORDER, "amount"), "amount", "missing", id="amount-missing"),
    pytest.param({**ORDER, "item": "i" * 201}, "item", "too_long", id="item-too-long"),
    pytest.param({**ORDER, "item": "   "}, "item", "too_short", id="item-blank"),
    pytest.param({**ORDER, "item": "tab\there"}, "item", "value_error", id="item-control"),
    pytest.param({**ORDER, "amount": "1.001"}, "amount", "decimal_max_places", id="3-decimals"),
    pytest.param({**ORDER, "amount": 0.125}, "amount", "decimal_max_places", id="3-dec-float"),
    pytest.param({**ORDER, "amount": "0"}, "amount", "greater_than", id="amount-zero"),
    pytest.param({**ORDER, "amount": "-5"}, "amount", "greater_than", id="amount-negative"),
    pytest.param(
        {**ORDER, "amount": "10000000000"}, "amount", "decimal_whole_digits", id="amount-too-large"
    ),
    pytest.param({**ORDER, "amount": "NaN"}, "amount", "finite_number", id="amount-nan"),
    pytest.param({**ORDER, "amount": "Infinity"}, "amount", "finite_number", id="amount-inf"),
    pytest.param({**ORDER, "amount": "-Infinity"}, "amount", "finite_number", id="amount-ninf"),
    pytest.param({**ORDER, "amount": "ten"}, "amount", "decimal_parsing", id="amount-words"),
    pytest.param({**ORDER, "amount": True}, "amount", "decimal_type", id="amount-bool"),
    pytest.param({**ORDER, "amount": [1]}, "amount", "decimal_type", id="amount-list"),
    pytest.param({**ORDER, "currency": "KSH"}, "currency", "value_error", id="currency-unknown"),
    pytest.param({**ORDER, "currency": "KESH"}, "currency", "value_error", id="currency-long"),
    pytest.param({**ORDER, "currency": "K1S"}, "currency", "value_error", id="currency-digit"),
    pytest.param({**ORDER, "currency": 404}, "currency", "string_type", id="currency-number"),
    pytest.param({**ORDER, "quantity": 0}, "quantity", "greater_than_equal", id="quantity-zero"),
    pytest.param({**ORDER, "quantity": 1_000_001}, "quantity", "less_than_equal", id="qty-big"),
    pytest.param({**ORDER, "quantity": 1.5}, "quantity", "int_from_float", id="quantity-float"),
    pytest.param({**ORDER, "quantity": "two"}, "quantity", "int_parsing", id="quantity-words"),
    pytest.param(
        {**ORDER, "ordered_at": "2026-11-26T14:05:00"},
        "ordered_at",
        "timezone_aware",
        id="ordered-at-naive",
    ),
    pytest.param(
        {**ORDER, "ordered_at": "26/11/2026"}, "ordered_at", "datetime_from_date_parsing", id="odt"
    ),
    pytest.param(
        {**ORDER, "ordered_at": "9999-12-31T23:59:00Z"},
        "ordered_at",
        "value_error",
        id="ordered-at-far-future",
    ),
    pytest.param(
        {**ORDER, "ordered_at": "0001-01-01T00:30:00+01:00"},
        "ordered_at",
        "value_error",
        id="ordered-at-far-past",
    ),
    pytest.param(
        {**without(ORDER, "customer_code"), "customer_id": "not-a-uuid"},
        "customer_id",
        "uuid_parsing",
        id="customer-id-not-uuid",
    ),
    pytest.param(
        {**ORDER, "customer_code": "bad code"}, "customer_code", "string_pattern_mismatch"
    ),
    pytest.param({**ORDER, "note": "x"}, "note", "extra_forbidden", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "field", "code"), ORDER_CASES)
async def test_order_body_errors(
    client: httpx.AsyncClient,
    new_customer: Callable[..., Awaitable[dict[str, Any]]],
    body: dict[str, Any],
    field: str,
    code: str,
    problem: Problem,
    count_rows: Counter,
) -> None:
    await new_customer(code="C-1")
    r = await client.post("/api/v1/orders", json=body)
    answer = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code)]
    assert await count_rows("orders") == await count_rows("notifications") == 0


async def test_every_field_at_fault_is_listed(client: httpx.AsyncClient, problem: Problem) -> None:
    r = await client.post("/api/v1/customers", json={"name": "", "phone": 1, "x": 1})
    answer = problem(r, 422, "validation-error")
    assert sorted(e["field"] for e in answer["errors"]) == ["name", "phone", "x"]
    assert answer["detail"] == "3 field(s) failed validation"


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        pytest.param(b'{"name": "Jane", ', {"json_invalid"}, id="truncated"),
        pytest.param(b"{'name': 'Jane'}", {"json_invalid"}, id="single-quotes"),
        pytest.param(b'{"name": "Jane",}', {"json_invalid"}, id="trailing-comma"),
        pytest.param(b"\xff\xfe{}", {"json_invalid"}, id="not-utf8"),
        pytest.param(b"", {"missing"}, id="empty"),
        pytest.param(b"[]", {"model_attributes_type"}, id="array"),
        pytest.param(b'"Jane"', {"model_attributes_type"}, id="string"),
        # FastAPI versions differ on whether a JSON null is an absent or a wrong body.
        pytest.param(b"null", {"missing", "model_attributes_type"}, id="null"),
    ],
)
async def test_bodies_that_are_not_a_json_object_name_the_body(
    client: httpx.AsyncClient, raw: bytes, codes: set[str], problem: Problem, count_rows: Counter
) -> None:
    r = await client.post(
        "/api/v1/customers", content=raw, headers={"content-type": "application/json"}
    )
    answer = problem(r, 422, "validation-error")
    [error] = answer["errors"]
    assert error["field"] == "body"
    assert error["code"] in codes
    assert await count_rows("customers") == 0


async def test_json_syntax_error_says_where(client: httpx.AsyncClient, problem: Problem) -> None:
    r = await client.post(
        "/api/v1/customers", content=b'{"name" "x"}', headers={"content-type": "application/json"}
    )
    [error] = problem(r, 422, "validation-error")["errors"]
    assert error["message"].startswith("the body is not valid JSON")
    assert "character 8" in error["message"]


async def test_nan_literal_in_raw_json_is_refused(
    client: httpx.AsyncClient,
    new_customer: Callable[..., Awaitable[dict[str, Any]]],
    problem: Problem,
) -> None:
    await new_customer(code="C-1")
    for literal in (b"NaN", b"Infinity", b"-Infinity", b"1e400"):
        r = await client.post(
            "/api/v1/orders",
            content=b'{"customer_code": "C-1", "item": "Tea", "amount": ' + literal + b"}",
            headers={"content-type": "application/json"},
        )
        answer = problem(r, 422, "validation-error")
        assert [e["field"] for e in answer["errors"]] == ["amount"], literal


async def test_lone_surrogate_is_refused_not_a_server_error(
    client: httpx.AsyncClient, problem: Problem, count_rows: Counter
) -> None:
    r = await client.post(
        "/api/v1/customers",
        content=b'{"name": "Jane \\ud800", "phone": "0712345678"}',
        headers={"content-type": "application/json"},
    )
    answer = problem(r, 422, "validation-error")
    assert [e["field"] for e in answer["errors"]] == ["name"]
    assert "surrogate" in answer["errors"][0]["message"]
    assert await count_rows("customers") == 0


async def test_unknown_route_and_method_are_problems(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    problem(await client.get("/api/v1/nothing-here"), 404, "not-found")
    r = await client.put("/api/v1/customers", json={})
    problem(r, 405, "method-not-allowed")
    assert "POST" in r.headers["allow"]
