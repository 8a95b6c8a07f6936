"""What uploads refuse before any row is stored: media types, sizes, shapes, bad syntax."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.api.uploads.uploads_support import (
    CUSTOMERS,
    ORDERS,
    ClientFactory,
    Counter,
    Poster,
    ProblemCheck,
    csv_text,
)

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", [CUSTOMERS, ORDERS])
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "text/csv; charset=latin-1",
    ],
)
async def test_other_media_types_are_415(
    post_body: Poster, problem: ProblemCheck, path: str, content_type: str
) -> None:
    body = problem(
        await post_body(path, "name,phone\n", content_type), 415, "unsupported-media-type"
    )
    assert "text/csv" in body["detail"] or "UTF-8" in body["detail"]


async def test_no_content_type_is_415(client: httpx.AsyncClient, problem: ProblemCheck) -> None:
    r = await client.post(CUSTOMERS, content=b"name,phone\n")
    problem(r, 415, "unsupported-media-type")


async def test_a_file_that_is_not_csv_or_json_is_415(
    client: httpx.AsyncClient, problem: ProblemCheck
) -> None:
    r = await client.post(
        CUSTOMERS, files={"file": ("rows.xlsx", b"PK\x03\x04", "application/octet-stream")}
    )
    body = problem(r, 415, "unsupported-media-type")
    assert "rows.xlsx" in body["detail"]


async def test_a_form_without_the_file_field_is_422(
    client: httpx.AsyncClient, problem: ProblemCheck
) -> None:
    r = await client.post(CUSTOMERS, files={"upload": ("c.csv", b"name,phone\n", "text/csv")})
    body = problem(r, 422, "validation-error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("upload", "unknown_field")]


async def test_a_body_over_the_size_limit_is_413(
    client_for: ClientFactory, problem: ProblemCheck, count_rows: Counter
) -> None:
    small = client_for(max_upload_bytes=2048)
    rows = [(f"C{i}", f"Name {i}", "0712345678") for i in range(200)]
    content = csv_text(("code", "name", "phone"), rows).encode()
    assert len(content) > 2048
    r = await small.post(CUSTOMERS, content=content, headers={"Content-Type": "text/csv"})
    problem(r, 413, "payload-too-large")

    async def stream() -> AsyncIterator[bytes]:
        for i in range(0, len(content), 500):
            yield content[i : i + 500]

    r = await small.post(CUSTOMERS, content=stream(), headers={"Content-Type": "text/csv"})
    problem(r, 413, "payload-too-large")
    assert await count_rows("customers") == 0


async def test_more_rows_than_allowed_is_413(
    client_for: ClientFactory, problem: ProblemCheck, count_rows: Counter
) -> None:
    few = client_for(max_upload_rows=3)
    rows = [{"name": f"N{i}", "phone": "0712345678"} for i in range(3)]
    r = await few.post(CUSTOMERS, json=rows)
    assert r.status_code == 201, r.text
    body = problem(await few.post(CUSTOMERS, json=[*rows, rows[0]]), 413, "payload-too-large")
    assert "more than 3 rows" in body["detail"]
    assert await count_rows("customers") == 3


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("", "text/csv"), ("name,phone\n", "text/csv"), ("[]", "application/json")],
)
async def test_an_upload_without_rows_is_422(
    post_body: Poster, problem: ProblemCheck, body: str, content_type: str
) -> None:
    answer = problem(await post_body(CUSTOMERS, body, content_type), 422, "validation-error")
    assert answer["detail"] == "The upload has no rows; nothing was stored."
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("body", "empty")]


async def test_unknown_and_missing_columns_are_named(
    post_body: Poster, problem: ProblemCheck
) -> None:
    body = problem(
        await post_body(ORDERS, "customer,item,amount,Colour\nC1,x,1,red\n"),
        422,
        "validation-error",
    )
    assert body["detail"] == "The CSV header is not valid; nothing was stored."
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("customer", "unknown_column"),
        ("Colour", "unknown_column"),
        ("customer_code", "missing_column"),
    ]


async def test_malformed_csv_names_the_row_and_stores_nothing(
    post_body: Poster, problem: ProblemCheck, count_rows: Counter
) -> None:
    content = 'name,phone\nGood,0712345678\n"Bad"quote,0712345679\nAlso good,0712345670\n'
    body = problem(await post_body(CUSTOMERS, content), 422, "validation-error")
    assert body["detail"].startswith("The upload cannot be read at data row 2: not valid CSV")
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [(2, "body", "malformed")]
    assert await count_rows("customers") == 0


async def test_malformed_json_names_the_row(post_body: Poster, problem: ProblemCheck) -> None:
    content = '[{"name": "a", "phone": "0712345678"},\n {"name": "b" "phone": "1"}]'
    body = problem(await post_body(CUSTOMERS, content, "application/json"), 422, "validation-error")
    assert "at data row 2" in body["detail"]
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(2, "malformed")]
    body = problem(
        await post_body(CUSTOMERS, '{"name": "a"}', "application/json"), 422, "validation-error"
    )
    assert "must be an array" in body["errors"][0]["message"]


async def test_bytes_that_are_not_utf8_are_422_in_a_form_too(
    client: httpx.AsyncClient, problem: ProblemCheck
) -> None:
    content = b"name,phone\nJos\xe9,0712345678\n"
    r = await client.post(CUSTOMERS, files={"file": ("c.csv", content, "text/csv")})
    body = problem(r, 422, "validation-error")
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [(1, "file", "encoding")]
