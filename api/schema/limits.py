"""Execution limits built once at import: depth and alias rules (so the validation cache keys
stay stable across requests) and a query-cost check that runs before execution."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain.pagination import DEFAULT_PAGE_SIZE

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2000
MAX_COST = 50_000


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
        context._hide_suggestions = True

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
    connection sizes above it — exceeds MAX_COST, before any resolver runs."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document, schema = ctx.graphql_document, ctx.schema._schema
        if document is not None:
            cost = operation_cost(document.definitions, ctx.operation_name, schema, ctx.variables or {})
            if cost > MAX_COST:
                message = f"查询代价 {cost} 超过上限 {MAX_COST}，请减少分页大小或嵌套层级"
                error = GraphQLError(message, extensions={"code": "QUERY_TOO_COSTLY", "cost": cost})
                ctx.result = ExecutionResult(data=None, errors=[error])
        yield


def operation_cost(
    definitions: Any, operation_name: str | None, schema: Any, variables: dict[str, Any]
) -> int:
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not chosen:
        return 0
    root = schema.get_root_type(chosen[0].operation)
    walker = _CostWalker(schema, fragments, variables)
    return walker.cost(chosen[0].selection_set, root, 1)


class _CostWalker:
    def __init__(
        self, schema: Any, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

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
        child_weight = weight * self._page_size(node) if field_type.name.endswith("Connection") else weight
        return weight + self.cost(node.selection_set, field_type, child_weight)

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value in {"first", "last"}:
                value = value_from_ast_untyped(argument.value, self.variables)
                if isinstance(value, int) and value > 0:
                    return value
        return DEFAULT_PAGE_SIZE
