"""Execution limits built once at import: depth and alias rules (so the validation cache keys
stay stable across requests) and a query-cost check that runs before execution.

The query cost is the worst case of the number of values in the response: every field weighted by
the product of the sizes of the lists above it. A connection's size is its page (`first`/`last`,
else the default page); every other list field declares its maximum beside its strawberry field
with `max_items(...)` (metadata read here through the graphql-core field's backref). A test walks
the schema and fails on any list field without one (tests/security/test_query_cost.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.graphql import OperationType

from api.library_internals import graphql_schema, hide_suggestions
from domain import timeouts
from domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2000
MAX_COST = 50_000

_MAX_ITEMS = "linzhi.max_items"
_SIZED_BY = "linzhi.sized_by"
_PAGE = "linzhi.page"


def max_items(maximum: int, *, sized_by: str | None = None, page: bool = False) -> dict[str, Any]:
    """Metadata of a list field (`strawberry.field(metadata=max_items(n))`): it never returns more
    than `maximum` items, or, with `sized_by`, more than the length of that list argument (itself
    at most `maximum`). The maximum must hold where the data comes from (a domain rule, or the
    query slicing at it): the query cost trusts it. `page`: a connection's edges/nodes, whose
    page size is counted at the connection field."""
    return {_MAX_ITEMS: maximum, _SIZED_BY: sized_by, _PAGE: page}


@dataclass(frozen=True)
class ListBound:
    """How many items a list field can hold: `maximum`, or the length of `sized_by`; `page` for
    a connection's edges/nodes (counted at the connection field, whose page size multiplies)."""

    maximum: int
    sized_by: str | None = None
    page: bool = False


_introspection_bounds: dict[int, ListBound] = {}


def is_list_field(definition: GraphQLField) -> bool:
    field_type = definition.type
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


def _introspection_bound(schema: GraphQLSchema) -> ListBound:
    """The introspection lists (types, fields, args, enum values, ...) are as long as the schema
    makes them: the longest of them bounds them all."""
    bound = _introspection_bounds.get(id(schema))
    if bound is None:
        sizes = [len(schema.type_map), len(schema.directives)]
        for named in schema.type_map.values():
            for attribute in ("fields", "values", "interfaces"):
                members = getattr(named, attribute, None)
                if isinstance(members, Mapping | tuple | list):
                    sizes.append(len(members))
                    if isinstance(members, Mapping):
                        sizes += [len(getattr(m, "args", None) or ()) for m in members.values()]
        if hasattr(schema, "get_possible_types"):
            for named in schema.type_map.values():
                if isinstance(named, GraphQLInterfaceType):
                    sizes.append(len(schema.get_possible_types(named)))
        bound = ListBound(max(sizes))
        _introspection_bounds[id(schema)] = bound
    return bound


def list_bound(schema: GraphQLSchema, parent: GraphQLNamedType, name: str) -> ListBound | None:
    """The declared bound of a list field, or None when it has none (a bug the schema test catches)."""
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return None
    definition = parent.fields.get(name)
    if definition is None or not is_list_field(definition):
        return None
    if parent.name.startswith("__"):
        return _introspection_bound(schema)
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    metadata = getattr(strawberry_field, "metadata", None) or {}
    if _MAX_ITEMS not in metadata:
        return None
    return ListBound(int(metadata[_MAX_ITEMS]), metadata.get(_SIZED_BY), bool(metadata.get(_PAGE)))


class NoSchemaIntrospection(ValidationRule):
    """Production hides the schema: `__schema` and `__type` are refused (`__typename` stays, as
    clients rely on it), and validation errors carry no "Did you mean …?" suggestions, which would
    otherwise spell out field, argument, type and enum names one typo at a time.

    graphql-core reads `hide_suggestions` from the validation context while the rules visit the
    document; strawberry's `validate_document` does not pass it, so this rule — instantiated with
    the others before the visit — switches it on. Both read paths (strawberry's and the compiled
    one) validate with the same rules, so both hide them."""

    HIDDEN = frozenset({"__schema", "__type"})

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        hide_suggestions(context)

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in self.HIDDEN:
            self.report_error(
                GraphQLError(
                    "此服务器未开放 schema 自省", node, extensions={"code": "INTROSPECTION_DISABLED"}
                )
            )


class QuietExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Production's executor: variable values are coerced without suggestions too (an unknown
    enum value or input field in `variables` would otherwise be answered with the real names)."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)


LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    depth_rule(MAX_DEPTH, None, None),
    alias_rule(MAX_ALIASES),
)
PRODUCTION_RULES: tuple[type[ASTValidationRule], ...] = (*LIMIT_RULES, NoSchemaIntrospection)


def limit_rules(introspection: bool) -> Callable[[], AddValidationRules]:
    """An extension factory; the rule classes are module constants so the validation cache hits."""
    rules = list(LIMIT_RULES if introspection else PRODUCTION_RULES)
    return lambda: AddValidationRules(rules)


class QueryCost(SchemaExtension):
    """Refuse an operation whose estimated cost — every field weighted by the product of the
    list and connection sizes above it — exceeds MAX_COST, before any resolver runs."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document, schema = ctx.graphql_document, graphql_schema(ctx.schema)
        if document is not None:
            if ctx.operation_type is not OperationType.QUERY:
                timeouts.exempt()  # a mutation is left to finish (its transaction, its audit record)
            cost = operation_cost(document.definitions, ctx.operation_name, schema, ctx.variables or {})
            if cost > MAX_COST:
                ctx.result = ExecutionResult(data=None, errors=[too_costly(cost)])
        yield


def too_costly(cost: int) -> GraphQLError:
    message = f"查询代价 {cost} 超过上限 {MAX_COST}，请减少分页大小、列表或嵌套层级"
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COSTLY", "cost": cost})


def operation_cost(
    definitions: Any, operation_name: str | None, schema: Any, variables: dict[str, Any]
) -> int:
    return cost_and_dependence(definitions, operation_name, schema, variables)[0]


def cost_and_dependence(
    definitions: Any, operation_name: str | None, schema: Any, variables: dict[str, Any]
) -> tuple[int, bool]:
    """The cost, and whether it depends on the variables (a page size or a sizing list given by
    one): the compiled path caches the cost per document text only when it does not."""
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not chosen:
        return 0, False
    root = schema.get_root_type(chosen[0].operation)
    walker = _CostWalker(schema, fragments, variables)
    return walker.cost(chosen[0].selection_set, root, 1), walker.uses_variables


class _CostWalker:
    def __init__(
        self, schema: Any, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.uses_variables = False

    def cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, weight: int
    ) -> int:
        if selection_set is None or parent is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, weight)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, target, weight)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, target, weight)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType, weight: int) -> int:
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return weight
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return weight
        field_type = get_named_type(definition.type)
        if field_type.name.endswith("Connection"):
            return weight + self.cost(node.selection_set, field_type, weight * self._page_size(node))
        if not is_list_field(definition):
            return weight + self.cost(node.selection_set, field_type, weight)
        bound = list_bound(self.schema, parent, node.name.value)
        if bound is not None and bound.page:
            size = 1  # a connection's edges/nodes: its page size already multiplies
        else:
            # A list without a declared maximum cannot pass the schema test; count it as a page.
            size = self._list_size(node, bound) if bound is not None else MAX_PAGE_SIZE
        if is_leaf_type(field_type):
            return weight * size
        return weight + self.cost(node.selection_set, field_type, weight * size)

    def _value(self, value_node: Any) -> Any:
        if isinstance(value_node, VariableNode):
            self.uses_variables = True
        if isinstance(value_node, ListValueNode):
            return value_node.values  # its length does not depend on the variables
        return value_from_ast_untyped(value_node, self.variables)

    def _list_size(self, node: FieldNode, bound: ListBound) -> int:
        if bound.sized_by is None:
            return bound.maximum
        for argument in node.arguments or ():
            if argument.name.value == bound.sized_by:
                value = self._value(argument.value)
                if isinstance(value, list | tuple):
                    return min(len(value), bound.maximum)
        return bound.maximum

    def _page_size(self, node: FieldNode) -> int:
        size = DEFAULT_PAGE_SIZE
        for argument in node.arguments or ():
            if argument.name.value in {"first", "last"}:
                value = self._value(argument.value)
                if isinstance(value, int) and value > 0:
                    size = value
                    break
        return size
