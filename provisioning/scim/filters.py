"""SCIM filters and sort orders (RFC 7644 §3.4.2.2 and §3.4.2.3) as Django queries.

scim2-models parses a filter (filter_parsing) and binds each attribute path to the
attribute its schema declares, with the attribute's type and caseExact. A FilterVisitor
turns the tree into one condition over the columns listed in filter_attributes, which the
database evaluates: nothing is filtered in Python. The condition is a Q kept apart from
its values (provisioning.conditions), so that a lookup's clause is compiled once per
shape.

The meaning is the one scim2-models gives a filter in memory (ScimFilter.match), and the
property test holds the queries to it:
- an absent value ("" in a column, no row in a related table) satisfies nothing but ne;
- a comparison on a multi-valued attribute holds when one of its values satisfies it,
  except ne, which holds when none of them equals the operand;
- strings compare lowercased unless the attribute is caseExact, and userName never is;
- the ordering operators compare strings code point by code point.
Every condition is two-valued (TRUE or FALSE, never NULL), so not() is the complement.
"""

import operator
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import reduce
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, Func, Model, Q
from django.db.models import Value as V
from django.db.models.expressions import Combinable
from django.db.models.functions import Left, Lower, Right, StrIndex
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.db.models.sql.compiler import SQLCompiler
from scim2_models import EnterpriseUser, Path, User
from scim2_models import Group as GroupResource
from scim2_models.exceptions import InvalidFilterException, InvalidPathException
from scim2_models.path import (
    AttributeBinding,
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from compliance.scim_agreements import Agreement
from provisioning.conditions import Condition, field_lookup, leaf, wrap
from provisioning.errors import ProvisioningError
from provisioning.scim.agreed_reads import readable
from provisioning.scim.filter_attributes import (
    GROUP_ATTRIBUTES,
    USER_ATTRIBUTES,
    Attribute,
    Column,
    Composite,
    Kind,
    Related,
)
from provisioning.scim.filter_parsing import (
    AgreedFilter,
    GroupFilter,
    UserFilter,
    agreed_filter,
    coerce,
)

if TYPE_CHECKING:
    from django.db.models.sql.compiler import _AsSqlType

Op = CompareOperator


class InvalidFilterError(ProvisioningError):
    """A filter or sortBy the portal cannot run. Its text is the detail for the client."""


class FilterTooLargeError(InvalidFilterError):
    """A filter with more conditions than the portal is willing to run (scimType tooMany):
    each condition can be a subquery, and a client batching thousands of them in one
    filter would tie up the database."""


def max_filter_terms() -> int:
    return int(settings.SCIM_MAX_FILTER_TERMS)


def user_condition(expression: str, *, agreement: Agreement) -> Condition:
    """The condition on Person that a SCIM filter on Users stands for, as a client under
    `agreement` may ask it: an attribute outside the agreement is an unknown attribute."""
    try:
        scim_filter = agreed_filter(UserFilter, agreement)(expression)
    except InvalidFilterException as error:
        raise InvalidFilterError(error.detail) from error
    return _translate(scim_filter, USER_ATTRIBUTES)


def user_filter(expression: str, *, agreement: Agreement) -> Q:
    """user_condition as a Q, for a queryset."""
    return user_condition(expression, agreement=agreement).q()


def group_condition(expression: str, *, agreement: Agreement) -> Condition:
    """The condition on Group that a SCIM filter on Groups stands for, as a client under
    `agreement` may ask it."""
    try:
        scim_filter = agreed_filter(GroupFilter, agreement)(expression)
    except InvalidFilterException as error:
        raise InvalidFilterError(error.detail) from error
    return _translate(scim_filter, GROUP_ATTRIBUTES)


def group_filter(expression: str, *, agreement: Agreement) -> Q:
    """group_condition as a Q, for a queryset."""
    return group_condition(expression, agreement=agreement).q()


def user_ordering(sort_by: str | None, descending: bool, *, agreement: Agreement) -> list[str]:
    """order_by() fields for a sortBy on Users; the last one is unique, so pages are stable.
    An attribute outside `agreement` is no attribute to sort by."""
    try:
        path = Path[User[EnterpriseUser]](sort_by) if sort_by else None
    except InvalidPathException as error:
        raise InvalidFilterError(f"sortBy: {error.detail}") from error
    return _ordering(path, descending, USER_ATTRIBUTES, agreement)


def group_ordering(sort_by: str | None, descending: bool, *, agreement: Agreement) -> list[str]:
    """order_by() fields for a sortBy on Groups; the last one is unique, so pages are stable."""
    try:
        path = Path[GroupResource](sort_by) if sort_by else None
    except InvalidPathException as error:
        raise InvalidFilterError(f"sortBy: {error.detail}") from error
    return _ordering(path, descending, GROUP_ATTRIBUTES, agreement)


def _never() -> Q:
    return Q(pk__isnull=True)


def _always() -> Q:
    return ~_never()


# Conditions that hold for no row and for every row, on whichever model they apply to.
_NEVER = leaf(_never)
_ALWAYS = leaf(_always)


def _translate(scim_filter: AgreedFilter, attributes: Mapping[str, Attribute]) -> Condition:
    terms = _TermCount().visit(scim_filter.ast)
    if terms > max_filter_terms():
        raise FilterTooLargeError(
            f"the filter has {terms} conditions; at most {max_filter_terms()} are run at once"
        )
    try:
        return _ResourceCondition(scim_filter, attributes).visit(scim_filter.ast)
    except InvalidFilterException as error:
        raise InvalidFilterError(error.detail) from error


def _split(urn: str) -> tuple[str, str | None]:
    """'…:User:emails.value' -> ('…:User:emails', 'value')."""
    schema, _, name = urn.rpartition(":")
    head, _, sub = name.partition(".")
    return f"{schema}:{head}", sub or None


def _bound(binding: AttributeBinding | None) -> AttributeBinding:
    assert binding is not None, "the filter is bound to its resource type"
    return binding


def _sub_column(attribute: Attribute, sub: str, binding: AttributeBinding) -> Column:
    columns = attribute.sub_attributes if isinstance(attribute, Composite | Related) else {}
    if sub not in columns:
        raise InvalidFilterError(f"filtering on '{binding.urn}' is not supported")
    return columns[sub]


class _TermCount(FilterVisitor[int]):
    """How many comparisons and presence tests a filter holds."""

    def visit_comparison(self, node: Comparison) -> int:
        return 1

    def visit_present(self, node: Present) -> int:
        return 1

    def visit_not(self, node: Not) -> int:
        return self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> int:
        return sum(self.visit(term) for term in node.terms)

    def visit_value_path(self, node: ValuePath) -> int:
        return self.visit(node.val_filter)


class _Condition(FilterVisitor[Condition]):
    """A filter's tree as a Condition: every value-dependent choice (an empty value, an
    id that is not canonical, null) is made here, so that the leaves' builders are pure
    (provisioning.conditions)."""

    def __init__(self, scim_filter: AgreedFilter) -> None:
        self.filter = scim_filter

    def visit_not(self, node: Not) -> Condition:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Condition:
        join = operator.and_ if node.op == LogicalOperator.and_ else operator.or_
        return reduce(join, (self.visit(term) for term in node.terms))


class _ResourceCondition(_Condition):
    """Conditions on the resource: a Person or a Group."""

    def __init__(self, scim_filter: AgreedFilter, attributes: Mapping[str, Attribute]) -> None:
        super().__init__(scim_filter)
        self.attributes = attributes

    def _bind(
        self, attr_path: AttrPath, *, comparison: bool
    ) -> tuple[AttributeBinding, Attribute, str | None]:
        resolve = self.filter.resolve_comparison if comparison else self.filter.resolve
        try:
            binding = _bound(resolve(attr_path, strict=True))
        except InvalidFilterException as error:
            raise InvalidFilterError(f"unknown attribute '{attr_path}'") from error
        head, sub = _split(binding.urn)
        if head not in self.attributes:
            raise InvalidFilterError(f"filtering on '{binding.urn}' is not supported")
        return binding, self.attributes[head], sub

    def visit_comparison(self, node: Comparison) -> Condition:
        binding, attribute, sub = self._bind(node.attr_path, comparison=True)
        if sub is None:
            if not isinstance(attribute, Column):
                raise InvalidFilterError(
                    f"'{binding.urn}' is complex: compare one of its sub-attributes"
                )
            return _compare(attribute, node.op, node.value, binding)
        column = _sub_column(attribute, sub, binding)
        if isinstance(attribute, Composite):
            return _compare(column, node.op, node.value, binding)
        assert isinstance(attribute, Related)
        if node.value is None and node.op in (Op.eq, Op.ne) and attribute.path:
            # A missing manager has no displayName either, so it is "eq null".
            present = _exists(attribute, _present(column))
            return ~present if node.op == Op.eq else present
        if node.op == Op.ne:
            # Not equal holds when no value equals: over a list, "any value differs"
            # would match nearly everyone.
            return ~_exists(attribute, _compare(column, Op.eq, node.value, binding))
        return _exists(attribute, _compare(column, node.op, node.value, binding))

    def visit_present(self, node: Present) -> Condition:
        binding, attribute, sub = self._bind(node.attr_path, comparison=False)
        if isinstance(attribute, Column):
            return _present(attribute)
        if isinstance(attribute, Composite):
            if sub is not None:
                return _present(_sub_column(attribute, sub, binding))
            # Present when one of the parts the client may read is: the others are not
            # there for it.
            parts = [
                _present(column)
                for name, column in attribute.sub_attributes.items()
                if not column.computed and readable(self.filter.agreement, f"{binding.urn}.{name}")
            ]
            return reduce(operator.or_, parts) if parts else _NEVER
        if sub is None:
            return _exists(attribute, _ALWAYS)
        return _exists(attribute, _present(_sub_column(attribute, sub, binding)))

    def visit_value_path(self, node: ValuePath) -> Condition:
        binding, attribute, _sub = self._bind(node.attr_path, comparison=False)
        if not isinstance(attribute, Related):
            raise InvalidFilterError(f"'{binding.urn}' holds no values to select")
        rows = _RowCondition(self.filter, node.attr_path, attribute).visit(node.val_filter)
        return _exists(attribute, rows)


class _RowCondition(_Condition):
    """Conditions on one row of a multi-valued attribute, inside a value selection, so
    that `emails[type eq "work" and value co "x"]` asks both of the same e-mail."""

    def __init__(self, scim_filter: AgreedFilter, head: AttrPath, related: Related) -> None:
        super().__init__(scim_filter)
        self.head = head
        self.related = related

    def _column(self, attr_path: AttrPath) -> tuple[AttributeBinding, Column]:
        if attr_path.uri or attr_path.sub_attr:
            raise InvalidFilterError(f"'{attr_path}' is not a sub-attribute of '{self.head}'")
        sub_attr_path = AttrPath(self.head.attr, attr_path.attr, self.head.uri)
        try:
            binding = _bound(self.filter.resolve(sub_attr_path, strict=True))
        except InvalidFilterException as error:
            raise InvalidFilterError(f"unknown attribute '{sub_attr_path}'") from error
        _, sub = _split(binding.urn)
        return binding, _sub_column(self.related, sub or "", binding)

    def visit_comparison(self, node: Comparison) -> Condition:
        binding, column = self._column(node.attr_path)
        return _compare(column, node.op, node.value, binding)

    def visit_present(self, node: Present) -> Condition:
        return _present(self._column(node.attr_path)[1])

    def visit_value_path(self, node: ValuePath) -> Condition:
        raise InvalidFilterError(f"a value selection cannot nest in '{self.head}'")


def _exists(related: Related, condition: Condition) -> Condition:
    return wrap(_rows_exist, condition, related.model, related.link, related.outer)


def _rows_exist(model: type[Model], link: str, outer: str, condition: Q) -> Q:
    """Some row of `model` that points at the resource satisfies `condition`."""
    return Q(Exists(Related(model, link, outer).rows().filter(condition)))


def _present(column: Column) -> Condition:
    """pr: a value that is there and not empty (RFC 7644 §3.4.2.2)."""
    if column.kind is Kind.STRING:
        return leaf(_text_present, column, True)
    return _ALWAYS  # booleans, dates and ids are NOT NULL and never empty


def _compare(column: Column, op: Op, raw: Any, binding: AttributeBinding) -> Condition:
    if raw is None:
        if op in (Op.eq, Op.ne):
            # "eq null" asks for an absent value, as scim2-models evaluates it.
            return ~_present(column) if op == Op.eq else _present(column)
        raise InvalidFilterError(f"'{op}' needs a value to compare '{binding.urn}' with")
    if op == Op.ne:
        return ~_compare(column, Op.eq, raw, binding)
    value = coerce(binding, raw, op)
    if column.kind is Kind.BOOLEAN:
        if op != Op.eq or not isinstance(value, bool):
            raise InvalidFilterError(f"'{binding.urn}' is a boolean: compare it with eq or ne")
        return leaf(field_lookup, column.field, values=[value])
    if column.kind is Kind.DATETIME:
        return _compare_datetime(column, op, value, binding)
    if not isinstance(value, str):
        raise InvalidFilterError(f"'{binding.urn}' is a string: compare it with a string")
    exact = binding.case_exact and not column.ignores_case
    operand = binding.comparable(value) if exact else binding.comparable(value).lower()
    if column.kind is Kind.UUID and op == Op.eq:
        return _uuid_equals(column, operand)
    if not operand and op in (Op.eq, Op.co, Op.sw, Op.ew):
        # An empty operand: equal to nothing, and contained in any value there is.
        return _NEVER if op == Op.eq else leaf(_text_present, column, exact)
    return leaf(_text_compare, column, exact, op, values=[operand])


def _uuid_equals(column: Column, operand: str) -> Condition:
    # Ids are caseExact strings: only the canonical spelling of a UUID equals one.
    try:
        uuid = UUID(operand)
    except ValueError:
        return _NEVER
    return leaf(field_lookup, column.field, values=[uuid]) if str(uuid) == operand else _NEVER


def _compare_datetime(column: Column, op: Op, value: Any, binding: AttributeBinding) -> Condition:
    if op in (Op.co, Op.sw, Op.ew) or not isinstance(value, datetime):
        raise InvalidFilterError(
            f"'{binding.urn}' is a dateTime: compare it with eq, ne, gt, ge, lt or le"
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # RFC 7643 §2.3.5 dates are UTC unless told
    try:
        # In UTC before any database sees it: PostgreSQL takes offsets up to 15:59 only.
        value = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is in the year 10000
        raise InvalidFilterError(f"'{binding.urn}' compares with a date out of range") from None
    lookup = {Op.eq: "exact", Op.gt: "gt", Op.ge: "gte", Op.lt: "lt", Op.le: "lte"}[op]
    return leaf(field_lookup, f"{column.field}__{lookup}", values=[value])


def _text(column: Column, exact: bool) -> Combinable:
    """The column as the text a filter compares: an id as its SCIM spelling; else as
    stored when the comparison is caseExact, lowercased when not."""
    if column.kind is Kind.UUID:
        return _UUIDText(column.expression())
    return column.expression() if exact else Lower(column.expression())


def _text_present(column: Column, exact: bool) -> Q:
    return ~Q(Exact(_text(column, exact), ""))


def _text_compare(column: Column, exact: bool, op: Op, operand: str) -> Q:
    """A text comparison; empty operands of eq, co, sw and ew are _compare's to decide."""
    text = _text(column, exact)
    if op == Op.eq:
        return Q(Exact(text, operand))
    if op in (Op.co, Op.sw, Op.ew):
        if exact:
            # LIKE ignores case on SQLite, so caseExact substrings compare by position.
            if op == Op.co:
                return Q(GreaterThan(StrIndex(text, V(operand)), 0))
            cut = Left if op == Op.sw else Right
            return Q(Exact(cut(text, len(operand)), operand))
        lookup = {Op.co: Contains, Op.sw: StartsWith, Op.ew: EndsWith}[op]
        return Q(lookup(text, operand))
    ordering = {
        Op.gt: GreaterThan,
        Op.ge: GreaterThanOrEqual,
        Op.lt: LessThan,
        Op.le: LessThanOrEqual,
    }[op]
    return Q(ordering(_CodePointOrder(text), operand)) & _text_present(column, exact)


class _CodePointOrder(Func):
    """A string compared by code point, as RFC 7644 orders strings, not by the database's
    collation (SQLite's default collation already is)."""

    template = "%(expressions)s"

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> "_AsSqlType":
        return self.as_sql(compiler, connection, template='(%(expressions)s) COLLATE "C"')


class _UUIDText(Func):
    """A UUID column as its SCIM id: lowercase hex in 8-4-4-4-12 groups. PostgreSQL
    stores a uuid, SQLite 32 hex digits."""

    template = "CAST(%(expressions)s AS text)"

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> "_AsSqlType":
        groups = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        parts = " || '-' || ".join(f"substr(%(expressions)s, {a}, {n})" for a, n in groups)
        return self.as_sql(compiler, connection, template=f"lower({parts})")


def _ordering(
    path: Path[Any] | None,
    descending: bool,
    attributes: Mapping[str, Attribute],
    agreement: Agreement,
) -> list[str]:
    if path is None:
        return ["created", "pk"]  # sortOrder only orders a sortBy (RFC 7644 §3.4.2.3)
    binding = path.resolve()
    if binding is None or not readable(agreement, binding.urn) or path.value_filter is not None:
        raise InvalidFilterError(f"sortBy: '{path}' is not an attribute")
    head, sub = _split(binding.urn)
    attribute = attributes.get(head)
    if isinstance(attribute, Column) and sub is None:
        column, prefix = attribute, ""
    elif isinstance(attribute, Composite) and sub and sub in attribute.sub_attributes:
        column, prefix = attribute.sub_attributes[sub], ""
    elif isinstance(attribute, Related) and attribute.path and sub in attribute.sub_attributes:
        assert sub is not None
        column, prefix = attribute.sub_attributes[sub], f"{attribute.path}__"
    elif isinstance(attribute, Related) and attribute.path is None:
        raise InvalidFilterError(
            f"sortBy: '{binding.urn}' holds several values; sort by a single-valued attribute"
        )
    else:
        raise InvalidFilterError(f"sortBy: sorting by '{binding.urn}' is not supported")
    if column.computed:
        raise InvalidFilterError(f"sortBy: sorting by '{binding.urn}' is not supported")
    key = prefix + column.field
    if column.kind is Kind.STRING and not (binding.case_exact and not column.ignores_case):
        key += "__lower"
    sign = "-" if descending else ""
    return [f"{sign}{key}"] if key == "id" else [f"{sign}{key}", f"{sign}pk"]
