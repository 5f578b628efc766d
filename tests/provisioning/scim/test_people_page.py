"""The first page of a Users search (people_pages.people_page) runs the statement the ORM
would run, and builds the same people, though it compiles only the filter's condition.
Held over the generated people and filters of the filter property test."""

import contextlib
from datetime import UTC, datetime
from functools import partial
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.sql import Query
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.conditions import Condition
from provisioning.models import Group, Person
from provisioning.people_pages import people_page, people_with_details
from provisioning.scim import filters as scim_filters
from provisioning.scim.views_users import VISIBLE
from tests.factories import PersonFactory
from tests.provisioning.scim.agreements import EVERY_ATTRIBUTE
from tests.provisioning.scim.test_filters_property import (
    EMAILS,
    PHONES,
    WORDS,
    filters,
    people_specs,
    store,
)

user_condition = partial(scim_filters.user_condition, agreement=EVERY_ATTRIBUTE)
user_ordering = partial(scim_filters.user_ordering, agreement=EVERY_ATTRIBUTE)

pytestmark = pytest.mark.django_db

SORTS = [None, "userName", "name.familyName", "meta.lastModified", "externalId"]


def through_the_orm(
    condition: Condition, limit: int, *, ordering: list[str], with_groups: bool
) -> list[Person]:
    queryset = Person.objects.filter(condition.q()).order_by(*ordering)
    return list(people_with_details(queryset, with_groups=with_groups)[:limit])


def read(page: Any, *args: Any, **kwargs: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """The statements `page` ran, and the people it built, every attribute included."""
    with CaptureQueriesContext(connection) as captured:
        people = page(*args, **kwargs)
    built = [{k: v for k, v in vars(p).items() if k != "_state"} for p in people]
    return [query["sql"] for query in captured], built


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data())
def test_the_first_page_is_the_orm_s_statement_and_people(data):
    with transaction.atomic():
        store(data.draw(people_specs(), label="people"))
        ids = [str(pk) for pk in Person.objects.values_list("pk", flat=True)]
        ids += [str(pk) for pk in Group.objects.values_list("pk", flat=True)]
        expression = data.draw(st.none() | filters(ids), label="filter")
        condition = VISIBLE & user_condition(expression) if expression else VISIBLE
        sort_by = data.draw(st.sampled_from(SORTS), label="sortBy")
        arguments: dict[str, Any] = {
            "ordering": user_ordering(sort_by, data.draw(st.booleans(), label="descending")),
            "with_groups": data.draw(st.booleans(), label="with groups"),
        }
        limit = data.draw(st.integers(1, 6), label="count")

        expected = read(through_the_orm, condition, limit, **arguments)
        assert read(people_page, condition, limit, **arguments) == expected, expression
        transaction.set_rollback(True)


@st.composite
def values_like(draw: st.DrawFn, value: Any, ids: list[str]) -> Any:
    """Another value of `value`'s type, one the stored people may well hold."""
    if isinstance(value, bool):
        return draw(st.booleans())
    if isinstance(value, UUID):
        return UUID(draw(st.sampled_from(ids)))
    if isinstance(value, datetime):
        stored = list(Person.objects.values_list("created", flat=True))
        return draw(st.sampled_from(stored) | st.datetimes(timezones=st.just(UTC)))
    if isinstance(value, str):
        words = WORDS + EMAILS + PHONES + ["Eng", "sales", "work", "home", "mobile"]
        return draw(st.sampled_from(words + [word.lower() for word in words]))
    raise AssertionError(f"a value of a type the filters never put into SQL: {value!r}")


@pytest.mark.compiled_reads
@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data())
def test_a_shape_s_compiled_condition_serves_it_with_any_values(data):
    """What people_page keeps for a shape holds for every condition of the shape: the
    drawn filter's condition with other values of the same types (a condition no filter
    might translate to, which the claim covers too) reads the statement and the people
    the ORM reads for it."""
    with transaction.atomic():
        store(data.draw(people_specs(), label="people"))
        ids = [str(pk) for pk in Person.objects.values_list("pk", flat=True)]
        ids += [str(pk) for pk in Group.objects.values_list("pk", flat=True)]
        first = VISIBLE & user_condition(data.draw(filters(ids), label="filter"))
        arguments: dict[str, Any] = {
            "ordering": user_ordering(data.draw(st.sampled_from(SORTS), label="sortBy"), False),
            "with_groups": data.draw(st.booleans(), label="with groups"),
        }
        limit = data.draw(st.integers(1, 6), label="count")
        people_page(first, limit, **arguments)  # compiles the shape's clause, if it may
        values = tuple(data.draw(values_like(value, ids)) for value in first.values)
        other = Condition(first.shape, values, first.build)

        expected = read(through_the_orm, other, limit, **arguments)
        assert read(people_page, other, limit, **arguments) == expected, values
        transaction.set_rollback(True)


def test_a_condition_that_joins_a_table_takes_the_orm_s_path():
    boss = PersonFactory(user_name="boss")
    PersonFactory(manager=boss)
    condition = VISIBLE & Condition.fixed(Q(manager__user_name="boss"))
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": True}

    expected = read(through_the_orm, condition, 10, **arguments)

    assert len(expected[1]) == 1
    assert read(people_page, condition, 10, **arguments) == expected


def test_a_condition_that_holds_for_no_row_asks_nothing():
    PersonFactory()
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": True}

    assert read(people_page, Condition.fixed(Q(pk__in=[])), 10, **arguments) == ([], [])


def test_a_condition_that_holds_for_every_row_reads_them_all():
    people = PersonFactory.create_batch(3)
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": False}

    every = Condition.fixed(~Q(pk__in=[]))
    statements, built = read(people_page, every, 10, **arguments)

    assert [person["id"] for person in built] == [person.pk for person in people]
    assert (statements, built) == read(through_the_orm, every, 10, **arguments)


@pytest.mark.compiled_reads
def test_a_condition_compiled_once_serves_its_shape_with_each_one_s_values():
    """The second and third lookups of a shape build no query through the ORM, and each
    finds its own person: the values take their own places in the clause compiled for
    the first."""
    ada = PersonFactory(user_name="ada@example.org", external_id="x-1")
    bob = PersonFactory(user_name="bob@example.org", external_id="x-2")
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": True}

    def lookup(user_name: str, external_id: str, *, compiled: bool) -> list[Any]:
        condition = VISIBLE & user_condition(
            f'userName eq "{user_name}" and externalId eq "{external_id}"'
        )
        unbuilt = mock.patch.object(Query, "add_q", side_effect=AssertionError("ORM-built"))
        with unbuilt if compiled else contextlib.nullcontext():
            statements, built = read(people_page, condition, 10, **arguments)
        assert (statements, built) == read(through_the_orm, condition, 10, **arguments)
        return [person["id"] for person in built]

    assert lookup("ada@example.org", "x-1", compiled=False) == [ada.pk]
    assert lookup("BOB@example.org", "x-2", compiled=True) == [bob.pk]
    assert lookup("ada@example.org", "x-2", compiled=True) == []


@pytest.mark.parametrize(
    "template",
    [
        'userName co "{}"',  # the operand goes into a LIKE pattern
        'externalId sw "{}"',  # caseExact: compared with a prefix of the operand's length
    ],
)
def test_a_condition_with_parameters_made_from_its_values_is_compiled_each_time(template):
    """A parameter derived from a value is neither the value nor a constant: no clause is
    kept for such a shape, and each condition is compiled with its own."""
    ada = PersonFactory(user_name="ada@example.org", external_id="ada-1")
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": False}
    for part in ("ada", "ad", "a"):
        condition = VISIBLE & user_condition(template.format(part))
        with mock.patch.object(Query, "add_q", autospec=True, side_effect=Query.add_q) as add_q:
            statements, built = read(people_page, condition, 10, **arguments)
        assert add_q.called
        assert [person["id"] for person in built] == [ada.pk]
        assert (statements, built) == read(through_the_orm, condition, 10, **arguments)
