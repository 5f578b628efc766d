"""The first page of a Users search (selectors.people_page) runs the statement the ORM
would run, and builds the same people, though it compiles only the filter's condition.
Held over the generated people and filters of the filter property test."""

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.models import Group, Person
from provisioning.scim.filters import user_filter, user_ordering
from provisioning.scim.views_users import VISIBLE
from provisioning.selectors import people_page, people_with_details
from tests.factories import PersonFactory
from tests.provisioning.scim.test_filters_property import filters, people_specs, store

pytestmark = pytest.mark.django_db

SORTS = [None, "userName", "name.familyName", "meta.lastModified", "externalId"]


def through_the_orm(
    condition: Q, limit: int, *, ordering: list[str], with_groups: bool
) -> list[Person]:
    queryset = Person.objects.filter(condition).order_by(*ordering)
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
        condition = VISIBLE & user_filter(expression) if expression else VISIBLE
        sort_by = data.draw(st.sampled_from(SORTS), label="sortBy")
        arguments: dict[str, Any] = {
            "ordering": user_ordering(sort_by, data.draw(st.booleans(), label="descending")),
            "with_groups": data.draw(st.booleans(), label="with groups"),
        }
        limit = data.draw(st.integers(1, 6), label="count")

        expected = read(through_the_orm, condition, limit, **arguments)
        assert read(people_page, condition, limit, **arguments) == expected, expression
        transaction.set_rollback(True)


def test_a_condition_that_joins_a_table_takes_the_orm_s_path():
    boss = PersonFactory(user_name="boss")
    PersonFactory(manager=boss)
    condition = VISIBLE & Q(manager__user_name="boss")
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": True}

    expected = read(through_the_orm, condition, 10, **arguments)

    assert len(expected[1]) == 1
    assert read(people_page, condition, 10, **arguments) == expected


def test_a_condition_that_holds_for_no_row_asks_nothing():
    PersonFactory()
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": True}

    assert read(people_page, Q(pk__in=[]), 10, **arguments) == ([], [])


def test_a_condition_that_holds_for_every_row_reads_them_all():
    people = PersonFactory.create_batch(3)
    arguments: dict[str, Any] = {"ordering": user_ordering(None, False), "with_groups": False}

    statements, built = read(people_page, ~Q(pk__in=[]), 10, **arguments)

    assert [person["id"] for person in built] == [person.pk for person in people]
    assert (statements, built) == read(through_the_orm, ~Q(pk__in=[]), 10, **arguments)
