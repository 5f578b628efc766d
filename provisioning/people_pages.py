"""People read as SCIM answers them: a page of people with their e-mails, phone numbers
and groups, in one statement where the database allows (PostgreSQL), read as Groups'
pages are (first_pages). selectors holds the other reads of the identity domain."""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from uuid import UUID

from django.db import connections, router
from django.db.models import Field, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from provisioning.conditions import Condition, field_lookup, leaf
from provisioning.first_pages import Shape, first_page
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


# The person's version as the locking statement's snapshot saw it (person_locked_read).
SEEN_VERSION = "scim_seen_version"


def person_locked_read(person_id: UUID) -> Person:
    """The person's row locked (FOR UPDATE) with their details, in one statement, compiled
    once as a lookup's is (first_pages: a write's read cost more to build than to run). A
    statement that waited for the lock sees the row as its last writer left it, but its
    subqueries, the details among them, as they were when it began: when the row changed
    in between (every change of contacts makes a new version) the details are dropped, and
    details_of reads them again. Raises Person.DoesNotExist for an id no one has."""
    found = first_page(LOCKED, leaf(field_lookup, "pk", values=[person_id]), 1)
    if not found:
        raise Person.DoesNotExist(f"no person {person_id}")
    locked = found[0]
    if getattr(locked, SEEN_VERSION) != locked.version and hasattr(locked, DETAILS):
        delattr(locked, DETAILS)
    return locked


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


def details_set(person: Person, details: PersonDetails) -> None:
    """What a person read through people_with_details holds now, after a write changed it
    (their contacts replaced), so that details_of answers without reading it again. A
    person read without them is left as read."""
    if not hasattr(person, DETAILS):
        return
    rows = [
        [kind, row.value, row.type, row.primary]
        for kind, contacts in (("email", details.emails), ("phone", details.phones))
        for row in contacts
    ] + [["group", str(group_id), "", False] for group_id in details.group_ids]
    setattr(person, DETAILS, json.dumps(rows))


@dataclass(frozen=True)
class PeopleShape(Shape[Person]):
    """A first page of people with their details (people_with_details)."""

    with_groups: bool

    def queryset(self, using: str, condition: Q | RawSQL) -> QuerySet[Person]:
        return people_with_details(super().queryset(using, condition), with_groups=self.with_groups)


@dataclass(frozen=True)
class LockedPersonShape(PeopleShape):
    """A person locked for a change (person_locked_read), with their details and groups,
    and their version as the statement's snapshot saw it."""

    def queryset(self, using: str, condition: Q | RawSQL) -> QuerySet[Person]:
        seen = Person.objects.filter(pk=OuterRef("pk")).values("version")
        return (
            super()
            .queryset(using, condition)
            .select_for_update(of=("self",))
            .annotate(**{SEEN_VERSION: Subquery(seen)})
        )

    def database(self) -> str:
        # A lock is taken where the row is written, as the ORM's select_for_update does.
        return router.db_for_write(self.model)


LOCKED = LockedPersonShape(Person, (), with_groups=True)


def people_page(
    condition: Condition, limit: int, *, ordering: Sequence[str], with_groups: bool
) -> list[Person]:
    """The first `limit` people matching `condition` in `ordering`, with their details:
    the SQL, and so the people, of
    `people_with_details(Person.objects.filter(condition.q()).order_by(*ordering), ...)[:limit]`
    (tests hold the two equal), read by first_pages.first_page."""
    return first_page(PeopleShape(Person, tuple(ordering), with_groups), condition, limit)


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
