"""The first page of a Groups search (first_pages.first_page, as Users' first page) runs
the statement the ORM would run, and builds the same groups. Held over the generated
groups and filters of the filter property test."""

from functools import partial
from typing import Any

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.conditions import Condition
from provisioning.first_pages import Shape, first_page
from provisioning.models import Group, Person
from provisioning.scim import filters as scim_filters
from tests.provisioning.scim.agreements import EVERY_ATTRIBUTE
from tests.provisioning.scim.test_filters_property import group_filters, groups_specs, store_groups
from tests.provisioning.scim.test_people_page import read

group_condition = partial(scim_filters.group_condition, agreement=EVERY_ATTRIBUTE)
group_ordering = partial(scim_filters.group_ordering, agreement=EVERY_ATTRIBUTE)

pytestmark = pytest.mark.django_db


def through_the_orm(shape: Shape[Group], condition: Condition, limit: int) -> list[Group]:
    return list(Group.objects.filter(condition.q()).order_by(*shape.ordering)[:limit])


@settings(max_examples=100, deadline=None, database=None)
@given(data=st.data())
def test_the_first_page_of_groups_is_the_orm_s_statement_and_groups(data):
    with transaction.atomic():
        store_groups(*data.draw(groups_specs(), label="groups"))
        ids = [str(pk) for pk in Person.objects.values_list("pk", flat=True)]
        ids += [str(pk) for pk in Group.objects.values_list("pk", flat=True)]
        expression = data.draw(group_filters(ids), label="filter")
        shape = Shape(Group, tuple(group_ordering(None, False)))
        limit = data.draw(st.integers(1, 6), label="count")
        arguments: tuple[Any, ...] = (shape, group_condition(expression), limit)

        expected = read(through_the_orm, *arguments)
        assert read(first_page, *arguments) == expected, expression
        transaction.set_rollback(True)
