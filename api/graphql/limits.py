"""What one GraphQL operation may ask for: depth, aliases, tokens and an estimated cost.

Depth, aliases and tokens are strawberry's own limiters. The cost is estimated before
anything runs: each field costs 1, times the page size (`first`) of every connection or
list around it, and `createOrders` 1 per input; an operation over DUKA_GRAPHQL_MAX_COST is
refused whole (BAD_USER_INPUT, `extensions.limit = "cost"`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from api.graphql.paging import DEFAULT_LIMIT
from api.graphql.types import NESTED_ORDERS_DEFAULT
from duka.core.settings import Settings

# `first` when a field's query leaves it out: the schema's defaults.
_DEFAULT_FIRST = {"customers": DEFAULT_LIMIT, "orders": DEFAULT_LIMIT}
_NESTED_DEFAULT_FIRST = {"orders": NESTED_ORDERS_DEFAULT}


def _argument(field: FieldNode, name: str, variables: Mapping[str, Any]) -> ValueNode | Any:
    for arg in field.arguments or ():
        if arg.name.value == name:
            if isinstance(arg.value, VariableNode):
                return variables.get(arg.value.name.value)
            return arg.value
    return None


def _first(field: FieldNode, top: bool, variables: Mapping[str, Any]) -> int:
    value = _argument(field, "first", variables)
    if isinstance(value, IntValueNode):
        return max(int(value.value), 0)
    if isinstance(value, int):
        return max(value, 0)
    defaults = _DEFAULT_FIRST if top else _NESTED_DEFAULT_FIRST
    return defaults.get(field.name.value, 1)


def _inputs(field: FieldNode, variables: Mapping[str, Any]) -> int:
    value = _argument(field, "inputs", variables)
    if isinstance(value, ListValueNode):
        return len(value.values)
    if isinstance(value, list):
        return len(value)
    return 1


class _Estimate:
    def __init__(self, context: ValidationContext, variables: Mapping[str, Any]) -> None:
        self.context = context
        self.variables = variables

    def selections(self, node: SelectionSetNode | None, top: bool, seen: frozenset[str]) -> int:
        total = 0
        for selection in node.selections if node is not None else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection, top, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selections(selection.selection_set, top, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in seen:  # cycles are refused anyway
                    total += self.selections(fragment.selection_set, top, seen | {name})
        return total

    def field(self, field: FieldNode, top: bool, seen: frozenset[str]) -> int:
        name = field.name.value
        times = 1
        if name in _DEFAULT_FIRST or name in _NESTED_DEFAULT_FIRST:
            times = _first(field, top, self.variables)
        own = _inputs(field, self.variables) if name == "createOrders" else 1
        return own + times * self.selections(field.selection_set, False, seen)


def estimate_cost(
    context: ValidationContext, operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> int:
    return _Estimate(context, variables).selections(operation.selection_set, True, frozenset())


class CostLimiter(SchemaExtension):
    """Refuses operations whose estimated cost is over `max_cost` (with their variables)."""

    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_operation(self) -> Iterator[None]:
        variables = self.execution_context.variables or {}
        max_cost = self.max_cost

        class CostRule(ValidationRule):
            def enter_operation_definition(
                self, node: OperationDefinitionNode, *_args: object
            ) -> None:
                cost = estimate_cost(self.context, node, variables)
                if cost > max_cost:
                    self.report_error(
                        GraphQLError(
                            f"The operation's estimated cost {cost} is over the limit of "
                            f"{max_cost}: ask for smaller pages (first) or fewer fields.",
                            node,
                            extensions={"limit": "cost", "cost": cost, "maxCost": max_cost},
                        )
                    )

        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules,
            CostRule,
        )
        yield


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories: strawberry makes each operation its own extension objects."""
    return [
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(QueryDepthLimiter, max_depth=settings.graphql_max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.graphql_max_aliases),
        partial(CostLimiter, settings.graphql_max_cost),
    ]
