"""Depth, aliases, tokens and cost are refused before anything runs (no context, no
database: a refused operation never reaches a resolver)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.types import ExecutionResult

from api.graphql.schema import build_schema
from duka.core.settings import Settings

pytestmark = pytest.mark.anyio


async def run(query: str, variables: dict[str, Any] | None = None, **settings: Any) -> Any:
    schema = build_schema(Settings(**({"environment": "test"} | settings)))
    result = await schema.execute(query, variable_values=variables)
    assert isinstance(result, ExecutionResult)
    return result


def refusal(result: ExecutionResult) -> tuple[str, dict[str, Any]]:
    assert result.data is None
    assert result.errors
    error = result.errors[0]
    assert error.extensions is not None
    return error.message, error.extensions


async def test_depth_over_the_limit_is_refused() -> None:
    deep = "{ orders { nodes { customer { orders { customer { orders { id } } } } } } }"
    message, ext = refusal(await run(deep, graphql_max_depth=4))
    assert "exceeds maximum operation depth" in message
    assert ext["code"] == "BAD_USER_INPUT"


async def test_depth_through_fragments_counts_too() -> None:
    query = """
      query { orders { nodes { ...O } } }
      fragment O on Order { customer { orders { customer { id } } } }
    """
    message, _ = refusal(await run(query, graphql_max_depth=3))
    assert "depth" in message


async def test_aliases_over_the_limit_are_refused() -> None:
    fields = " ".join(f"a{i}: customers {{ nodes {{ id }} }}" for i in range(6))
    message, ext = refusal(await run(f"{{ {fields} }}", graphql_max_aliases=5))
    assert "aliases" in message
    assert ext["code"] == "BAD_USER_INPUT"


async def test_tokens_over_the_limit_are_refused_while_parsing() -> None:
    fields = " ".join("id" for _ in range(200))
    message, ext = refusal(
        await run(f"{{ orders {{ nodes {{ {fields} }} }} }}", graphql_max_tokens=100)
    )
    assert "token" in message.lower()
    assert ext["code"] == "BAD_USER_INPUT"


async def test_cost_multiplies_by_page_sizes() -> None:
    query = "{ orders(first: 200) { nodes { id customer { orders(first: 50) { id item } } } } }"
    message, ext = refusal(await run(query, graphql_max_cost=5000))
    assert ext["code"] == "BAD_USER_INPUT"
    assert ext["limit"] == "cost"
    assert ext["cost"] > 5000
    assert "first" in message


async def test_cost_reads_first_from_variables() -> None:
    query = "query($n: Int!) { orders(first: $n) { nodes { id item amount } } }"
    _, ext = refusal(await run(query, {"n": 200}, graphql_max_cost=100))
    assert ext["limit"] == "cost"


async def test_cost_counts_each_input_of_a_batch() -> None:
    query = (
        "mutation($in: [OrderInput!]!) { createOrders(inputs: $in) "
        "{ ... on CreateOrdersPayload { created } } }"
    )
    inputs = [{"customerCode": "A", "item": "x", "amount": "1"}] * 30
    _, ext = refusal(await run(query, {"in": inputs}, graphql_max_cost=20))
    assert ext["cost"] >= 30


async def test_a_cheap_query_passes_the_limits() -> None:
    # It gets past validation and fails only for want of a context (no caller here).
    result = await run("{ orders(first: 10) { nodes { id } } }", graphql_max_cost=100)
    assert result.errors
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions.get("limit") is None


async def test_introspection_follows_the_environment() -> None:
    query = "{ __schema { queryType { name } } }"
    dev = await run(query)
    assert dev.errors is None
    assert dev.data == {"__schema": {"queryType": {"name": "Query"}}}
    prod = await run(query, environment="production")
    assert prod.errors
    assert prod.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    forced = await run(query, environment="production", graphql_introspection=True)
    assert forced.errors is None


async def test_a_cached_validation_never_skips_the_cost_of_new_variables() -> None:
    schema = build_schema(Settings(environment="test", graphql_max_cost=100))
    query = "query($n: Int!) { orders(first: $n) { nodes { id item amount } } }"
    cheap = await schema.execute(query, variable_values={"n": 2})
    assert cheap.errors
    assert cheap.errors[0].extensions is not None
    assert "limit" not in cheap.errors[0].extensions  # valid and cheap: it ran (no caller)
    costly = await schema.execute(query, variable_values={"n": 200})
    assert costly.errors
    assert costly.errors[0].extensions is not None
    assert costly.errors[0].extensions["limit"] == "cost"


async def test_a_cached_document_is_still_refused_by_the_depth_limit() -> None:
    schema = build_schema(Settings(environment="test", graphql_max_depth=3))
    deep = "{ orders(first: 1) { nodes { customer { orders(first: 1) { id } } } } }"
    for _ in range(2):
        result = await schema.execute(deep)
        assert result.errors
        assert "depth" in result.errors[0].message
