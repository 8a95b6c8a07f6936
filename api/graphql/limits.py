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
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_operation_ast,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
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
    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.fragments = fragments
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
                fragment = self.fragments.get(name)
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
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> int:
    """The cost of the operation `operation_name` (or the only one) of a valid document."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0  # graphql-core answers an unknown operation itself
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Estimate(fragments, variables).selections(operation.selection_set, True, frozenset())


class CostLimiter(SchemaExtension):
    """Refuses operations whose estimated cost is over `max_cost`, with their variables.

    Checked once the document is valid and before anything runs, outside validation: the
    cost depends on the variables, and validation results are cached per document.
    """

    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        assert ctx.graphql_document is not None
        cost = estimate_cost(ctx.graphql_document, ctx.operation_name, ctx.variables or {})
        if cost > self.max_cost:
            raise GraphQLError(
                f"The operation's estimated cost {cost} is over the limit of "
                f"{self.max_cost}: ask for smaller pages (first) or fewer fields.",
                extensions={"limit": "cost", "cost": cost, "maxCost": self.max_cost},
            )
        yield


# Parsed documents and validation results kept per worker: a client sends the same few
# operations over and over, and validating one costs more than the rest of a request.
CACHE_SIZE = 256


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories: strawberry makes each operation its own extension objects.

    The depth and alias rules are strawberry's, made once here: validation results are
    cached by document *and rule classes*, which must therefore be the same every time.
    """
    rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    return [
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(ParserCache, maxsize=CACHE_SIZE),
        partial(AddValidationRules, rules),
        partial(CostLimiter, settings.graphql_max_cost),
    ]
