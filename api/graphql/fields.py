"""Typed forms of `@strawberry.field(description=...)` and `@strawberry.mutation(...)`.

With arguments but no resolver, strawberry's decorators are typed as returning `Any`, which
`mypy --strict` refuses as an untyped decorator; passing the resolver positionally selects
their typed overloads (a `StrawberryField`), with the same effect at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

Resolver = Callable[..., Any]


def field(description: str) -> Callable[[Resolver], StrawberryField]:
    def decorate(resolver: Resolver) -> StrawberryField:
        return strawberry.field(resolver, description=description)

    return decorate


def mutation(description: str) -> Callable[[Resolver], StrawberryField]:
    def decorate(resolver: Resolver) -> StrawberryField:
        return strawberry.mutation(resolver, description=description)

    return decorate


def subscription(description: str) -> Callable[[Resolver], StrawberryField]:
    def decorate(resolver: Resolver) -> StrawberryField:
        return strawberry.subscription(resolver, description=description)

    return decorate
