"""The GraphQL schema: its types (fixed, printed to schema.graphql) and, per application,
the extensions its settings choose (limits, introspection, error formatting)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext, ExecutionResult

from api.graphql.errors import format_error
from api.graphql.limits import CACHE_SIZE, limit_extensions
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.graphql.subscriptions import Subscription
from duka.core.settings import Settings


class DukaSchema(strawberry.Schema):
    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Every answer's errors formatted by api/graphql/errors.py, whichever step made them
        (an extension's own failure, such as a limit, ends the operation before its
        extensions would see the result)."""
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [format_error(e) for e in result.errors]
        return result

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """A subscription's answers (over WebSockets), formatted as `execute`'s."""
        return _formatted(await super().stream(*args, **kwargs))

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected failures (FORBIDDEN, NOT_FOUND, a client's bad document) are answers,
        # not server faults; the unexpected are logged once with their stack by
        # api/graphql/errors.py.
        return


async def _formatted(results: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
    async with aclosing(results):
        async for result in results:
            if isinstance(result, ExecutionResult) and result.errors:
                result.errors = [format_error(e) for e in result.errors]
            yield result


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the extensions `settings` choose (None: the bare schema, to print)."""
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = []
    if settings is not None:
        extensions.extend(limit_extensions(settings))
        if not settings.graphql_introspection_enabled:
            extensions.append(DisableIntrospection)
        # After every extension that adds validation rules.
        extensions.append(partial(ValidationCache, maxsize=CACHE_SIZE))
    return DukaSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )


def sdl() -> str:
    """The schema in SDL, as committed in api/graphql/schema.graphql."""
    return build_schema().as_str() + "\n"
