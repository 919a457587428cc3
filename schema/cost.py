"""Query cost analysis: what a request may make the server do, computed from the document before it runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.errors import Invalid

# What a resolver costs beyond the one unit every object field costs: database round trips, full-text work.
FIELD_COSTS: Mapping[str, int] = {
    "Query.search": 50,
    "SearchResult.facets": 25,
    "SearchResult.scenes": 25,
    "Query.suggest": 5,
    "Query.suggestDocuments": 2,  # in memory (core/search/titles.py), never the database
    "SearchHit.interpretations": 1,  # one statement for the whole page of hits (a DataLoader)
    "Query.ask": 20,
    "Query.policies": 10,
    "Query.inventory": 10,
    # A few statements per site of the page (its items multiplied by pageSize on top), cached per page.
    "Query.inventoryComparison": 100,
    "Query.updateTrend": 5,
    "Query.searchStats": 10,
    "Query.hotQueries": 5,
    "Query.zeroResultQueries": 5,
    "Query.risingQueries": 10,
    "Query.queryTrend": 5,
    "Query.documents": 2,
    "Inspection.findings": 2,
    # Batched per page (one statement), but a full-text pass over the guides; at 5 a page of MAX_PAGE_SIZE
    # (100) policies with their services fits the default budget, 30 such pages in one request do not.
    "Policy.relatedServices": 5,
    "Policy.qa": 3,
    "Policy.interpretations": 2,
    "Policy.responses": 2,
    "Subscription.hotQueries": 5,
    # A route is an A* search over the hall's navigation mesh, a walkthrough several; whereFor reads guides.
    "Hall.route": 3,
    "Hall.walkthrough": 5,
    "Query.whereFor": 10,
    # Grassroots disclosure: freshness reads each rule's category per village (a lateral per village under a
    # city); revisions are one statement per item shown; a project's spent and spending one statement for the
    # projects of a page (a DataLoader), which spent alone costs too.
    "Query.staleDisclosures": 20,
    "DisclosureUnit.freshness": 2,
    "DisclosureItem.revisions": 2,
    "FundProject.spent": 1,
    "FundProject.spending": 2,
}
SIZE_ARGUMENTS = ("pageSize", "limit", "first")
# A size the walk cannot read as a whole number (null, a string, a fraction) counts as the largest page any
# list serves by default (MAX_PAGE_SIZE), never as 1: an unreadable size must not make a request cheap.
UNREADABLE_SIZE = 100
# The list of a page type: the page's size (its field's pageSize) multiplies what each item asks for.
PAGE_ITEMS = ("items", "hits")


class QueryTooExpensive(Invalid):
    """The request would cost more than the per-request budget."""

    code = "QUERY_TOO_EXPENSIVE"


@dataclass
class _Walk:
    """One operation's document, its variables and fragments, and the costs of fragments already counted."""

    schema: GraphQLSchema
    variables: Mapping[str, Any]
    fragments: dict[str, FragmentDefinitionNode]
    memo: dict[tuple[str, int | None], int] = field(default_factory=dict)


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost of one operation: every aliased field counted, fragments expanded, lists × their size."""
    defaults = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    walk = _Walk(schema, {**defaults, **(variables or {})}, fragments)
    root = schema.get_root_type(operation.operation)
    return _selections_cost(walk, root, operation.selection_set, None) if root else 0


def _selections_cost(walk: _Walk, parent: GraphQLNamedType, selections: SelectionSetNode, size: int | None) -> int:
    """`size`: the page size of the field above, which multiplies its page's items."""
    total = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            total += _field_cost(walk, parent, node, size)
        elif isinstance(node, InlineFragmentNode):
            inner = walk.schema.get_type(node.type_condition.name.value) if node.type_condition else parent
            total += _selections_cost(walk, inner or parent, node.selection_set, size)
        elif isinstance(node, FragmentSpreadNode):
            total += _fragment_cost(walk, node.name.value, size)
    return total


def _fragment_cost(walk: _Walk, name: str, size: int | None) -> int:
    key = (name, size)
    if key not in walk.memo:
        walk.memo[key] = 0  # a fragment that spreads itself is invalid; validation has refused it already
        fragment = walk.fragments.get(name)
        kind = walk.schema.get_type(fragment.type_condition.name.value) if fragment else None
        walk.memo[key] = _selections_cost(walk, kind, fragment.selection_set, size) if fragment and kind else 0
    return walk.memo[key]


def _field_cost(walk: _Walk, parent: GraphQLNamedType, node: FieldNode, size: int | None) -> int:
    definition = _definition(parent, node.name.value)
    if definition is None or node.selection_set is None:
        return 0  # scalars cost nothing of their own; an unknown field was refused by validation
    kind = get_named_type(definition.type)
    own = FIELD_COSTS.get(f"{parent.name}.{node.name.value}", 0 if is_leaf_type(kind) else 1)
    own_size = _size(walk, definition, node)
    if is_list_type(get_nullable_type(definition.type)):
        many = own_size or (size if node.name.value in PAGE_ITEMS else None) or 1
        return own + many * _selections_cost(walk, kind, node.selection_set, None)
    return own + _selections_cost(walk, kind, node.selection_set, own_size)


def _definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    meta = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef, "__typename": TypeNameMetaFieldDef}
    if name in meta:
        return meta[name]
    fields: dict[str, GraphQLField] = getattr(parent, "fields", {})  # unions have none but __typename
    return fields.get(name)


def _size(walk: _Walk, definition: GraphQLField, node: FieldNode) -> int | None:
    """The page size a field asks for: its pageSize/limit argument, a variable's value, else the default."""
    given = {a.name.value: a.value for a in node.arguments or ()}
    for name in SIZE_ARGUMENTS:
        if name not in definition.args:
            continue
        value: Any = definition.args[name].default_value
        literal = given.get(name)
        if isinstance(literal, IntValueNode):
            value = int(literal.value)
        elif isinstance(literal, VariableNode):
            value = walk.variables.get(literal.name.value, value)
        return max(_whole(value), 1)
    return None


def _whole(value: Any) -> int:
    """A page size as GraphQL's Int coerces it (100 and 100.0 alike), else UNREADABLE_SIZE."""
    if isinstance(value, bool):
        return UNREADABLE_SIZE
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return UNREADABLE_SIZE


def document_cost(
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """The cost of the operation a request runs (the named one, else the only one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    return max((operation_cost(schema, o, fragments, variables) for o in chosen[:1]), default=0)


class QueryCost(SchemaExtension):
    """Refuses, before anything runs, an operation whose cost is over the budget (MAX_QUERY_COST).

    It runs after the (cached) parse and validation and reads the same document, so those caches stay
    effective; the cost itself is a walk of the document, with variables, done per request.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            variables = context.variables if isinstance(context.variables, Mapping) else None
            cost = document_cost(context.schema._schema, context.graphql_document, context.operation_name, variables)
            if cost > self.budget:
                refusal = QueryTooExpensive(
                    f"this query would cost {cost}, over the budget of {self.budget} per request"
                    " (MAX_QUERY_COST): ask for smaller pages, fewer aliases or fewer expensive fields"
                )
                if context.operation_type is OperationType.SUBSCRIPTION:
                    raise refusal  # strawberry reports it on the stream, through CodedErrors
                # a query or mutation with a result already is not executed; CodedErrors keeps the code
                error = GraphQLError(refusal.message, extensions={"code": refusal.code, "cost": cost})
                context.result = ExecutionResult(data=None, errors=[error])
        yield
