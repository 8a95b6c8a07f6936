"""The upload routes document what they read: three media types, examples, problems."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from api.main import create_app
from duka.core.settings import Settings


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    doc: dict[str, Any] = create_app(Settings(environment="test")).openapi()
    return doc


@pytest.mark.parametrize(
    ("path", "columns"),
    [
        ("/api/v1/uploads/customers", ["code", "name", "phone"]),
        (
            "/api/v1/uploads/orders",
            ["customer_code", "item", "quantity", "amount", "currency", "ordered_at"],
        ),
    ],
)
def test_upload_routes_are_documented(spec: dict[str, Any], path: str, columns: list[str]) -> None:
    post = spec["paths"][path]["post"]
    assert post["tags"] == ["uploads"]
    assert "All or nothing" in post["description"]
    content = post["requestBody"]["content"]
    assert set(content) == {"text/csv", "application/json", "multipart/form-data"}
    header = next(csv.reader(io.StringIO(content["text/csv"]["example"])))
    assert header == columns
    assert content["application/json"]["schema"]["type"] == "array"
    assert set(content["application/json"]["schema"]["items"]["properties"]) >= set(columns)
    assert content["multipart/form-data"]["schema"]["required"] == ["file"]
    for status in ("413", "415", "422"):
        assert "application/problem+json" in post["responses"][status]["content"]
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/UploadResult"}
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])


@pytest.mark.parametrize("path", ["/api/v1/uploads/customers", "/api/v1/uploads/orders"])
def test_the_documented_json_body_is_what_the_upload_accepts(
    spec: dict[str, Any], path: str
) -> None:
    # An empty array is refused ("holds no rows", 422): the schema says so too.
    array = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert array["minItems"] == 1
    # Rows are closed objects: unknown keys are refused, as the upload refuses them.
    assert array["items"]["additionalProperties"] is False
    example = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    assert len(example["example"]) >= array["minItems"]
    assert all(set(row) <= set(array["items"]["properties"]) for row in example["example"])
