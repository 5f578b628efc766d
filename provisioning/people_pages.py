"""People read as SCIM answers them: a page of people with their e-mails, phone numbers
and groups, in one statement where the database allows (PostgreSQL), compiled once per
shape of page and of condition, since Django building these statements cost more than
PostgreSQL running them (docs/benchmarks.md). selectors holds the other reads of the
identity domain."""

import json
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any, cast
from uuid import UUID

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, router
from django.db.models import BooleanField, Field, Q, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler

from provisioning.conditions import Condition
from provisioning.models import Membership, Person, PersonEmail, PersonPhone


@dataclass(frozen=True)
class ContactRow:
    value: str
    type: str
    primary: bool


@dataclass
class PersonDetails:
    """What a SCIM User shows besides the person's own row."""

    emails: list[ContactRow] = field(default_factory=list)
    phones: list[ContactRow] = field(default_factory=list)
    group_ids: list[UUID] = field(default_factory=list)

    def add(self, kind: str, value: Any, type_: str, primary: Any) -> None:
        """One row of person_details' statement: an e-mail, a phone or a group id."""
        if kind == "group":
            self.group_ids.append(UUID(str(value)))
        else:
            contacts = self.emails if kind == "email" else self.phones
            contacts.append(ContactRow(value, type_, bool(primary)))


def person_details(person_ids: Collection[UUID], *, with_groups: bool) -> dict[UUID, PersonDetails]:
    """The e-mails, phone numbers and (with_groups) group ids of these people, in one
    query (UNION ALL of the three tables) instead of one per table: a lookup is then the
    person and this. Contacts come primary first, then in the order they were added.

    The SQL is written out (_details_sql) rather than built by the ORM: it is the same
    statement every time, and building it through the ORM cost more than running it."""
    details = {person_id: PersonDetails() for person_id in person_ids}
    if not details:
        return details
    connection = connections[router.db_for_read(PersonEmail)]
    key_field = Person._meta.pk
    assert key_field is not None
    ids = [key_field.get_db_prep_value(person_id, connection) for person_id in details]
    parts = 3 if with_groups else 2
    with connection.cursor() as cursor:
        cursor.execute(_details_sql(connection.alias, parts, len(ids)), ids * parts)
        found = sorted(cursor.fetchall(), key=lambda r: (not r[4], r[5]))
    for person_id, kind, value, type_, primary, _ in found:
        entry = details[person_id if isinstance(person_id, UUID) else UUID(str(person_id))]
        entry.add(kind, value, type_, primary)
    return details


DETAILS = "scim_details"


def people_with_details(queryset: QuerySet[Person], *, with_groups: bool) -> QuerySet[Person]:
    """`queryset` that also reads each person's e-mails, phones and (with_groups) groups,
    as JSON in a correlated subquery, so that a page of Users is one query instead of the
    page and person_details. PostgreSQL only; elsewhere the queryset is left as it is and
    details_of falls back to person_details."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset
    return queryset.annotate(
        **{DETAILS: RawSQL(_details_json_sql(connection.alias, with_groups), [])}  # noqa: S611 (no input)
    )


def details_of(people: list[Person], *, with_groups: bool) -> dict[UUID, PersonDetails]:
    """The details of people read through people_with_details, or person_details."""
    if not people or not hasattr(people[0], DETAILS):
        return person_details([person.pk for person in people], with_groups=with_groups)
    details = {}
    for person in people:
        entry = details[person.pk] = PersonDetails()
        for row in json.loads(getattr(person, DETAILS)):
            entry.add(*row)
    return details


def people_page(
    condition: Condition, limit: int, *, ordering: Sequence[str], with_groups: bool
) -> list[Person]:
    """The first `limit` people matching `condition` in `ordering`, through
    people_with_details: the SQL, and so the people, of
    `people_with_details(Person.objects.filter(condition.q()).order_by(*ordering), ...)[:limit]`
    (tests hold the two equal).

    This is the page of every lookup identity providers send (`userName eq` and the
    like), and Django building and compiling its statement cost more than running it
    (docs/benchmarks.md, fourth and fifth passes). So the statement around the condition
    is compiled once per shape (_page_statement), and so is the condition's WHERE clause,
    once per key of conditions (Condition.key, _Clause). A condition that joins another
    table (the statement's FROM would change) or holds for every row takes the ORM's
    whole path."""
    using = router.db_for_read(Person)
    statement = _page_statement(using, tuple(ordering), with_groups, limit)
    key = condition.key()
    kept = _clauses(using, key) if key is not None else None
    if kept:
        clause = kept[0]
        compiler = Query(Person).get_compiler(using)
        return statement.read(compiler, clause.sql, clause.params_for(condition.values))
    try:
        compiled = _where(condition.q(), using)
    except EmptyResultSet:
        return []
    if compiled is None:
        queryset = Person.objects.using(using).filter(condition.q()).order_by(*ordering)
        return list(people_with_details(queryset, with_groups=with_groups)[:limit])
    compiler, where, params = compiled
    if kept is not None and (learnt := _Clause.learn(condition, using, where, params)):
        kept[:] = [learnt]
    return statement.read(compiler, where, params)


def _where(condition: Q, using: str) -> tuple[SQLCompiler, str, list[Any]] | None:
    """The condition compiled as the WHERE clause of a query on people alone, or None
    where it joins another table or holds for every row. EmptyResultSet where it holds
    for none."""
    query = Query(Person)
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
def _clauses(alias: str, key: Hashable) -> list["_Clause"]:
    """Where people_page keeps the clause of one key of conditions (Condition.key): empty
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
        cls, condition: Condition, using: str, sql: str, params: Sequence[Any]
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
            again = _where(condition.build(others), using)
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
    """A page of people as the ORM reads it, with its WHERE clause left open."""

    before: str
    after: str
    # The backend's converters of the selected columns (SQLCompiler.get_converters), which
    # depend on the columns and the database's settings, not on the connection a thread
    # holds: finding them again took a tenth of a millisecond per page.
    converters: dict[int, tuple[list[Any], Any]]
    field_names: list[str]  # the model's fields, the first columns
    extra: dict[str, int]  # annotations (the details) and their column

    def read(self, compiler: SQLCompiler, where: str, params: Sequence[Any]) -> list[Person]:
        """The people the statement finds with `where`: as Django's ModelIterable builds
        them, the columns through the backend's converters (a UUID on SQLite, say)."""
        with compiler.connection.cursor() as cursor:
            cursor.execute(self.before + where + self.after, params)
            rows: Iterable[Sequence[Any]] = cursor.fetchall()
        if self.converters:
            rows = compiler.apply_converters(rows, self.converters)
        count, using = len(self.field_names), compiler.using
        people = []
        for row in rows:
            person = Person.from_db(using, self.field_names, row[:count])
            for name, position in self.extra.items():
                setattr(person, name, row[position])
            people.append(person)
        return people


# What a page's condition compiles to in _page_statement: text found nowhere else in it.
_CONDITION = RawSQL("/* the page's condition */ TRUE", [], output_field=BooleanField())


@cache
def _page_statement(
    alias: str, ordering: tuple[str, ...], with_groups: bool, limit: int
) -> _PageStatement:
    """people_page's statement for one shape, compiled by the ORM around a placeholder
    condition, and cut where the placeholder stands."""
    queryset = Person.objects.using(alias).filter(_CONDITION).order_by(*ordering)
    query = people_with_details(queryset, with_groups=with_groups)[:limit].query
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
        before=before,
        after=after,
        converters=compiler.get_converters(columns),
        field_names=[cast(Col, columns[position]).target.attname for position in fields],
        extra=dict(compiler.annotation_col_map or {}),
    )


@cache
def _details_json_sql(alias: str, with_groups: bool) -> str:
    """person_details' rows of the outer query's person, as one JSON array (text) of
    [kind, value, type, primary], in person_details' order."""
    person = connections[alias].ops.quote_name(Person._meta.db_table)
    rows = _details_sql(alias, 3 if with_groups else 2, 1).replace("IN (%s)", f"= {person}.id")
    return (
        "SELECT COALESCE(json_agg(json_build_array(d.kind, d.value, d.type, d.is_primary)"  # noqa: S608 (names only)
        f" ORDER BY NOT d.is_primary, d.id), '[]')::text FROM ({rows}) AS d"
        "(person_id, kind, value, type, is_primary, id)"
    )


@cache
def _details_sql(alias: str, parts: int, count: int) -> str:
    """person_details' statement for `count` ids: e-mails, phones and (parts == 3) groups,
    as rows (person id, kind, value, type, primary, id), a group's value its id as text.
    Portable SQL (the test suite runs it on SQLite and PostgreSQL), cached per shape."""
    quote = connections[alias].ops.quote_name
    marks = ", ".join(["%s"] * count)

    def column(model: type[Any], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        assert field.column
        return quote(field.column)

    def select(model: type[Any], kind: str, value: str, type_: str, primary: str) -> str:
        person, table = column(model, "person"), quote(model._meta.db_table)
        return (
            f"SELECT {person}, '{kind}', {value}, {type_}, {primary}, {column(model, 'id')} "  # noqa: S608 (names and marks only)
            f"FROM {table} WHERE {person} IN ({marks})"
        )

    selects = [
        select(model, kind, column(model, "value"), column(model, "type"), column(model, "primary"))
        for model, kind in ((PersonEmail, "email"), (PersonPhone, "phone"))
    ]
    if parts == 3:
        group = f"CAST({column(Membership, 'group')} AS varchar(36))"
        selects.append(select(Membership, "group", group, "''", "(1 = 0)"))
    return " UNION ALL ".join(selects)
