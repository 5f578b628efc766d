import pytest

from compliance.audit.models import AuditEvent
from provisioning.errors import InvalidValueError, UniquenessError
from provisioning.models import Membership, Person
from provisioning.services.groups import (
    group_create,
    group_members_add,
    group_members_remove,
    group_members_replace,
)

pytestmark = pytest.mark.django_db


def people(count: int) -> list[Person]:
    return Person.objects.bulk_create(Person(user_name=f"p{n}") for n in range(count))


@pytest.mark.postgresql
def test_adding_a_thousand_members_costs_a_constant_number_of_queries(
    actor, django_assert_max_num_queries
):
    group = group_create(actor=actor, display_name="everyone")
    ids = [p.pk for p in people(1000)]

    with django_assert_max_num_queries(11):
        added = group_members_add(group=group, person_ids=ids, actor=actor)

    assert added == 1000
    assert AuditEvent.objects.filter(action="group.members_added").count() == 1000


def test_adding_existing_members_is_a_no_op(actor):
    group = group_create(actor=actor, display_name="g")
    ids = [p.pk for p in people(3)]
    group_members_add(group=group, person_ids=ids, actor=actor)

    assert group_members_add(group=group, person_ids=ids, actor=actor) == 0
    assert Membership.objects.count() == 3


@pytest.mark.postgresql
def test_removing_a_thousand_members_costs_a_constant_number_of_queries(
    actor, django_assert_max_num_queries
):
    group = group_create(actor=actor, display_name="everyone")
    ids = [p.pk for p in people(1000)]
    group_members_add(group=group, person_ids=ids, actor=actor)

    with django_assert_max_num_queries(11):
        assert group_members_remove(group=group, person_ids=ids, actor=actor) == 1000


def test_replace_makes_the_members_exactly_the_given_people(actor):
    group = group_create(actor=actor, display_name="g")
    a, b, c = people(3)
    group_members_add(group=group, person_ids=[a.pk, b.pk], actor=actor)

    group_members_replace(group=group, person_ids=[b.pk, c.pk], actor=actor)

    assert set(group.members.values_list("pk", flat=True)) == {b.pk, c.pk}


def test_an_unknown_member_is_refused_and_nothing_is_added(actor):
    import uuid

    group = group_create(actor=actor, display_name="g")
    (a,) = people(1)

    with pytest.raises(InvalidValueError):
        group_members_add(group=group, person_ids=[a.pk, uuid.uuid4()], actor=actor)

    assert not Membership.objects.exists()


def test_display_name_is_unique_regardless_of_case(actor):
    group_create(actor=actor, display_name="Admins")

    with pytest.raises(UniquenessError):
        group_create(actor=actor, display_name="ADMINS")
