"""The database cost of a push stays bounded: it does not grow with the group's size."""

import uuid

import pytest

from provisioning.connectors.client import scim_client
from provisioning.connectors.models import DownstreamAccount, DownstreamOrphan
from provisioning.connectors.reconcile import _group_reconcile
from provisioning.connectors.tasks import push_group_members, push_person, reconcile_connector
from provisioning.models import Membership
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_a_person_push_costs_a_fixed_number_of_queries(
    connector, mapped_group, django_assert_max_num_queries
):
    person = PersonFactory(user_name=f"q-{uuid.uuid4().hex[:8]}@example.org")
    Membership.objects.create(group=mapped_group[0], person_id=person.pk)

    with django_assert_max_num_queries(22):
        push_person(str(connector.pk), str(person.pk))

    assert DownstreamAccount.objects.get(person_id=person.pk).downstream_id


@pytest.mark.parametrize("size", [2, 12])
def test_a_group_push_costs_the_same_queries_for_2_or_12_people(
    size, connector, mapped_group, django_assert_max_num_queries
):
    group, _ = mapped_group
    people = PersonFactory.create_batch(size)
    for person in people:
        push_person(str(connector.pk), str(person.pk))
        Membership.objects.create(group=group, person_id=person.pk)

    with django_assert_max_num_queries(12):
        push_group_members(str(connector.pk), str(group.pk), [str(p.pk) for p in people])

    assert all(a.pushed_groups for a in DownstreamAccount.objects.filter(person__in=people))


@pytest.mark.parametrize("size", [2, 12])
def test_repairing_a_group_costs_the_same_queries_for_2_or_12_people(
    size, connector, mapped_group, django_assert_max_num_queries
):
    """Reconciliation adds the members a group lacks downstream and records the group on
    their accounts in one UPDATE, not one per account."""
    group, mapping = mapped_group
    people = PersonFactory.create_batch(size)
    for person in people:
        push_person(str(connector.pk), str(person.pk))
    Membership.objects.bulk_create([Membership(group=group, person_id=p.pk) for p in people])
    mapping.refresh_from_db()

    with django_assert_max_num_queries(6):
        repaired = _group_reconcile(scim_client(connector), connector, mapping)

    assert repaired == 1
    accounts = DownstreamAccount.objects.filter(person__in=people)
    assert all(a.pushed_groups == [str(mapping.pk)] for a in accounts)


@pytest.mark.parametrize("size", [2, 12])
def test_reconciling_costs_the_same_queries_for_2_or_12_users(
    size, connector, downstream, django_assert_max_num_queries
):
    """A page of downstream users is matched, checked and recorded in a fixed number of
    queries, a stranger among them included; only the repairs go one request per user."""
    people = PersonFactory.create_batch(size)
    for person in people:
        push_person(str(connector.pk), str(person.pk))
    drifted = DownstreamAccount.objects.get(person=people[0]).downstream_id
    rename = {"op": "replace", "path": "userName", "value": f"renamed-{uuid.uuid4().hex}"}
    downstream.send("PATCH", f"/Users/{drifted}", {"schemas": [PATCH], "Operations": [rename]})
    downstream.send("POST", "/Users", {"schemas": [USER], "userName": f"x-{uuid.uuid4().hex}"})

    with django_assert_max_num_queries(18):
        report = reconcile_connector(str(connector.pk))

    assert report["users_repaired"] == 1
    assert downstream.user(drifted)["userName"] == people[0].user_name
    assert DownstreamOrphan.objects.filter(connector=connector).count() >= 1
