"""The first page of a SCIM search, Users and Groups alike: the rows of one model that match
a condition, in a shape's order, read in one statement, as the ORM reads
`shape.queryset(using, condition.q())[:limit]`.

Two paths read it, with the same statement and the same objects (the read tests run on
both):

- the compiled path: the statement around the condition is compiled once per shape
  (_page_statement), and so is the condition's WHERE clause, once per key of conditions
  (Condition.key, _Clause). This is the page of every lookup identity providers send
  (`userName eq` and the like), and Django building and compiling its statement cost more
  than PostgreSQL running it (docs/benchmarks.md, fourth, fifth and issue 16 passes). It
  rests on Django internals (Query.alias_map, SQLCompiler.compile, get_converters,
  apply_converters, klass_info, annotation_col_map), which no release promises to keep, so
  it runs only on the Django feature releases in PROVEN_ON;
- the ORM's own path: on any other Django release (chosen once at start-up, where the
  check provisioning.W001 and a log line say so), and for a condition that joins another
  table or holds for every row.

tests/provisioning/test_first_pages.py fails on a Django release outside PROVEN_ON: prove
the compiled path there (the read tests pass on both paths) before adding it.
"""

import logging
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

import django
from django.core import checks
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import router
from django.db.models import BooleanField, Model, Q, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler

from provisioning.conditions import Condition

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)

# The Django feature releases the compiled path was proven on: the read tests passed on
# both paths there.
PROVEN_ON: frozenset[tuple[int, int]] = frozenset({(5, 2)})


def proven(version: Sequence[Any] = django.VERSION) -> bool:
    """Whether the compiled path was proven on this Django release."""
    return (version[0], version[1]) in PROVEN_ON


# Chosen once, at start-up (provisioning.apps imports this module in ready()). Tests set
# it to run the read tests on both paths.
COMPILED = proven()
if not COMPILED:
    logger.warning(
        "Django %s is not among the releases SCIM's compiled reads were proven on; "
        "SCIM pages are read through the ORM alone.",
        django.get_version(),
    )


@checks.register()
def compiled_reads_proven(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if proven():
        return []
    return [
        checks.Warning(
            f"Django {django.get_version()} is not among the releases SCIM's compiled "
            "reads were proven on; SCIM pages are read through the ORM alone (slower).",
            hint="Run the read tests on both paths on this release, then add it to "
            "PROVEN_ON in provisioning/first_pages.py.",
            id="provisioning.W001",
        )
    ]


@dataclass(frozen=True)
class Shape(Generic[M]):
    """What a first page reads besides its condition and its length: the model's rows in
    `ordering`. A subclass adds what its queryset reads besides (annotations), as fields,
    since the statement is kept per shape."""

    model: type[M]
    ordering: tuple[str, ...]

    def queryset(self, using: str, condition: Q | RawSQL) -> QuerySet[M]:
        return self.model._default_manager.using(using).filter(condition).order_by(*self.ordering)

    def database(self) -> str:
        """The database the rows are read from: where the ORM would read the queryset."""
        return router.db_for_read(self.model)


def first_page(shape: Shape[M], condition: Condition, limit: int) -> list[M]:
    """The first `limit` rows of `shape` that match `condition`: the objects, and the
    statement, of `shape.queryset(using, condition.q())[:limit]`."""
    using = shape.database()
    if not COMPILED:
        return list(shape.queryset(using, condition.q())[:limit])
    statement = _page_statement(using, shape, limit)
    key = condition.key()
    kept = _clauses(using, shape.model, key) if key is not None else None
    if kept:
        clause = kept[0]
        compiler = Query(shape.model).get_compiler(using)
        return statement.read(compiler, clause.sql, clause.params_for(condition.values))
    try:
        compiled = _where(condition.q(), shape.model, using)
    except EmptyResultSet:
        return []
    if compiled is None:
        return list(shape.queryset(using, condition.q())[:limit])
    compiler, where, params = compiled
    if kept is not None and (learnt := _Clause.learn(condition, shape.model, using, where, params)):
        kept[:] = [learnt]
    return statement.read(compiler, where, params)


# The compiled path's parts: with first_page's compiled branch, the only code in the
# project that reads Django's internals.


def _where(
    condition: Q, model: type[Model], using: str
) -> tuple[SQLCompiler, str, list[Any]] | None:
    """The condition compiled as the WHERE clause of a query on the model's table alone,
    or None where it joins another table or holds for every row. EmptyResultSet where it
    holds for none."""
    query = Query(model)
    query.add_q(condition)
    if len(query.alias_map) != 1:
        return None
    compiler = query.get_compiler(using)
    try:
        where, params = compiler.compile(query.where)
    except FullResultSet:
        return None
    return compiler, where, list(params)


@lru_cache(maxsize=1024)
def _clauses(alias: str, model: type[Model], key: Hashable) -> list["_Clause"]:
    """Where first_page keeps the clause of one key of conditions (Condition.key): empty
    until a condition of the key has been compiled and its clause learnt. Bounded, as
    filters come from clients."""
    return []


@dataclass(frozen=True)
class _Clause:
    """A WHERE clause that serves every condition of one key with its own values: the
    parameters at the positions in `slots` are the condition's values (by index), the
    others are constants of the clause."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[int | None, ...]

    def params_for(self, values: Sequence[Any]) -> list[Any]:
        return [
            param if slot is None else values[slot]
            for param, slot in zip(self.params, self.slots, strict=True)
        ]

    @classmethod
    def learn(
        cls,
        condition: Condition,
        model: type[Model],
        using: str,
        sql: str,
        params: Sequence[Any],
    ) -> "_Clause | None":
        """The clause of `condition`'s key, learnt by compiling the condition again with
        other values of the same types (_others): the SQL must not change, and each
        parameter must either follow one value in both compilations, as it is, or stay
        what it was. A parameter derived from a value (a LIKE pattern, a length) does
        neither, and the key is then compiled every time. None if it cannot be learnt."""
        values = condition.values
        others = _others(values)
        if others is None:
            return None
        try:
            again = _where(condition.build(others), model, using)
        except EmptyResultSet:
            return None
        if again is None or again[1] != sql or len(again[2]) != len(params):
            return None
        slots: list[int | None] = []
        for first, second in zip(params, again[2], strict=True):
            follows = [
                index
                for index, (value, other) in enumerate(zip(values, others, strict=True))
                if _same(first, value) and _same(second, other)
            ]
            if len(follows) == 1:
                slots.append(follows[0])
            elif not follows and _same(first, second):
                slots.append(None)
            else:
                return None
        return cls(sql, tuple(params), tuple(slots))


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _others(values: Sequence[Any]) -> tuple[Any, ...] | None:
    """Values of the same types as `values`, each unlike its own and unlike one another's
    (by its position), for _Clause.learn; None if a type has no such counterpart here."""
    others: list[Any] = []
    for index, value in enumerate(values):
        if isinstance(value, bool):
            return None  # two values only: a boolean cannot be told apart by position
        if isinstance(value, str):
            others.append(f"{value}~{index}")
        elif isinstance(value, UUID):
            others.append(UUID(int=value.int ^ (index + 1)))
        elif isinstance(value, datetime):
            if value > datetime.max.replace(tzinfo=value.tzinfo) - timedelta(seconds=len(values)):
                return None  # 9999-12-31T23:59:59 has no later counterpart
            others.append(value + timedelta(seconds=index + 1))
        else:
            return None
    return tuple(others)


@dataclass(frozen=True)
class _PageStatement:
    """A first page as the ORM reads it, with its WHERE clause left open."""

    model: type[Model]
    before: str
    after: str
    # The backend's converters of the selected columns (SQLCompiler.get_converters), which
    # depend on the columns and the database's settings, not on the connection a thread
    # holds: finding them again took a tenth of a millisecond per page.
    converters: dict[int, tuple[list[Any], Any]]
    field_names: list[str]  # the model's fields, the first columns
    extra: dict[str, int]  # annotations and their column

    def read(self, compiler: SQLCompiler, where: str, params: Sequence[Any]) -> list[Any]:
        """The objects the statement finds with `where`: as Django's ModelIterable builds
        them, the columns through the backend's converters (a UUID on SQLite, say)."""
        with compiler.connection.cursor() as cursor:
            cursor.execute(self.before + where + self.after, params)
            rows: Iterable[Sequence[Any]] = cursor.fetchall()
        if self.converters:
            rows = compiler.apply_converters(rows, self.converters)
        count, using = len(self.field_names), compiler.using
        found = []
        for row in rows:
            instance = self.model.from_db(using, self.field_names, row[:count])
            for name, position in self.extra.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found


# What a page's condition compiles to in _page_statement: text found nowhere else in it.
_CONDITION = RawSQL("/* the page's condition */ TRUE", [], output_field=BooleanField())


@cache
def _page_statement(alias: str, shape: Shape[Any], limit: int) -> _PageStatement:
    """first_page's statement for one shape, compiled by the ORM around a placeholder
    condition, and cut where the placeholder stands."""
    query = shape.queryset(alias, _CONDITION)[:limit].query
    compiler = query.get_compiler(alias)
    sql, params = compiler.as_sql()
    placeholder, _ = compiler.compile(compiler.where)
    before, found, after = sql.partition(placeholder)
    assert found, "the placeholder is where the condition goes"
    assert not params, "the statement around the condition has no values of its own"
    columns = [column for column, _, _ in compiler.select]
    assert compiler.klass_info is not None
    fields = compiler.klass_info["select_fields"]
    return _PageStatement(
        model=shape.model,
        before=before,
        after=after,
        converters=compiler.get_converters(columns),
        field_names=[cast(Col, columns[position]).target.attname for position in fields],
        extra=dict(compiler.annotation_col_map or {}),
    )
