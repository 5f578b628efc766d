"""/Groups with Entra ID's and Okta's payloads; membership as set operations."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.audit.models import AuditEvent
from provisioning.models import Group, Membership
from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import GROUP_SCHEMA, assert_scim_error, join, patch_ops

pytestmark = pytest.mark.django_db


def members(group):
    return set(Membership.objects.filter(group=group).values_list("person_id", flat=True))


def test_entra_creates_a_group(scim):
    # As Microsoft documents it.
    response = scim.post(
        "Groups",
        {
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Group1",
            "meta": {"resourceType": "Group"},
            "schemas": [GROUP_SCHEMA],
            "members": [],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    group = Group.objects.get()
    assert body["id"] == str(group.pk)
    assert body["meta"]["resourceType"] == "Group"
    assert body["meta"]["version"] == 'W/"1"'
    assert group.external_id == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"


def test_okta_creates_a_group_with_members(scim):
    alice, bob = PersonFactory(), PersonFactory()

    response = scim.post(
        "Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Test SCIMv2",
            "members": [{"value": str(alice.pk), "display": "alice"}, {"value": str(bob.pk)}],
        },
    )

    assert response.status_code == 201, response.content
    assert members(Group.objects.get()) == {alice.pk, bob.pk}
    assert {m["value"] for m in response.json()["members"]} == {str(alice.pk), str(bob.pk)}


def test_a_display_name_taken_in_another_case_is_409(scim):
    GroupFactory(display_name="Sales")

    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": "SALES"})

    assert_scim_error(response, 409, "uniqueness")


def test_get_group_lists_members(scim):
    group, person = GroupFactory(), PersonFactory()
    join(group, person)

    body = scim.get(f"Groups/{group.pk}").json()

    assert body["members"][0]["value"] == str(person.pk)
    assert body["members"][0]["$ref"].endswith(f"/Users/{person.pk}")


def test_group_get_without_members_does_not_touch_membership(scim):
    group = GroupFactory()
    join(group, PersonFactory())

    with CaptureQueriesContext(connection) as queries:
        body = scim.get(f"Groups/{group.pk}?excludedAttributes=members").json()

    assert "members" not in body
    assert not [q for q in queries.captured_queries if "membership" in q["sql"]]


def test_list_groups_by_display_name(scim):
    GroupFactory(display_name="Sales")
    GroupFactory(display_name="Support")

    body = scim.get('Groups?filter=displayName eq "sales"&excludedAttributes=members').json()

    assert [r["displayName"] for r in body["Resources"]] == ["Sales"]


def test_okta_renames_with_the_id_in_the_value(scim):
    group = GroupFactory(display_name="Old")

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops({"op": "replace", "value": {"id": str(group.pk), "displayName": "New"}}),
    )

    assert response.status_code == 204, response.content
    group.refresh_from_db()
    assert group.display_name == "New"


def test_a_rename_with_another_id_is_400_mutability(scim):
    group = GroupFactory()

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops(
            {
                "op": "replace",
                "value": {"id": "7b3a0c4e-4b0e-4c8e-8a7a-000000000000", "displayName": "X"},
            }
        ),
    )

    assert_scim_error(response, 400, "mutability")


def test_okta_replaces_the_whole_member_list(scim):
    group, stays, goes, joins = GroupFactory(), PersonFactory(), PersonFactory(), PersonFactory()
    join(group, stays)
    join(group, goes)

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops(
            {
                "op": "replace",
                "path": "members",
                "value": [{"value": str(stays.pk)}, {"value": str(joins.pk)}],
            }
        ),
    )

    assert response.status_code == 204
    assert members(group) == {stays.pk, joins.pk}


def test_entra_adds_a_member_already_there_without_error(scim):
    group, person = GroupFactory(), PersonFactory()
    join(group, person)

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops({"op": "Add", "path": "members", "value": [{"value": str(person.pk)}]}),
    )

    assert response.status_code == 204
    assert members(group) == {person.pk}


def test_entra_removes_members_with_a_value_list(scim):
    group, one, two, three = GroupFactory(), PersonFactory(), PersonFactory(), PersonFactory()
    join(group, one, two, three)

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops(
            {
                "op": "Remove",
                "path": "members",
                "value": [{"value": str(one.pk)}, {"value": str(two.pk)}],
            }
        ),
    )

    assert response.status_code == 204
    assert members(group) == {three.pk}


def test_remove_through_a_value_filter(scim):
    group, one, two = GroupFactory(), PersonFactory(), PersonFactory()
    join(group, one)
    join(group, two)

    scim.patch(
        f"Groups/{group.pk}",
        patch_ops({"op": "remove", "path": f'members[value eq "{one.pk}"]'}),
    )

    assert members(group) == {two.pk}


def test_patch_returns_the_group_without_members_unless_asked(scim):
    group, person = GroupFactory(), PersonFactory()
    ops = patch_ops({"op": "add", "path": "members", "value": [{"value": str(person.pk)}]})

    asked = scim.patch(f"Groups/{group.pk}?attributes=displayName", ops)

    assert asked.status_code == 200
    assert "members" not in asked.json()
    assert asked.json()["displayName"] == group.display_name


def test_a_patch_with_an_unknown_member_changes_nothing(scim):
    group, person = GroupFactory(display_name="Before"), PersonFactory()

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops(
            {"op": "replace", "path": "displayName", "value": "After"},
            {"op": "add", "path": "members", "value": [{"value": str(person.pk)}]},
            {
                "op": "add",
                "path": "members",
                "value": [{"value": "7b3a0c4e-4b0e-4c8e-8a7a-000000000000"}],
            },
        ),
    )

    assert_scim_error(response, 400, "invalidValue")
    group.refresh_from_db()
    assert group.display_name == "Before"
    assert members(group) == set()


def test_put_replaces_name_and_members(scim):
    group, old, new = GroupFactory(), PersonFactory(), PersonFactory()
    join(group, old)

    response = scim.put(
        f"Groups/{group.pk}",
        {"schemas": [GROUP_SCHEMA], "displayName": "Renamed", "members": [{"value": str(new.pk)}]},
    )

    assert response.status_code == 200, response.content
    assert members(group) == {new.pk}
    assert response.json()["displayName"] == "Renamed"


def test_if_match_mismatch_on_a_group_is_412(scim):
    group = GroupFactory()

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops({"op": "replace", "path": "displayName", "value": "X"}),
        **{"If-Match": 'W/"7"'},
    )

    assert_scim_error(response, 412)


def test_delete_a_group(scim):
    group = GroupFactory()

    assert scim.delete(f"Groups/{group.pk}").status_code == 204
    assert not Group.objects.exists()
    assert AuditEvent.objects.filter(action="group.deleted").exists()
    assert_scim_error(scim.get(f"Groups/{group.pk}"), 404)


@pytest.mark.postgresql
@pytest.mark.parametrize("op", ["add", "remove"])
def test_changing_a_thousand_members_costs_a_constant_number_of_queries(
    scim, django_assert_max_num_queries, op
):
    group = GroupFactory()
    people = PersonFactory.create_batch(1000)
    if op == "remove":
        join(group, *people)
    ops = patch_ops({"op": op, "path": "members", "value": [{"value": str(p.pk)} for p in people]})

    with django_assert_max_num_queries(20):
        response = scim.patch(f"Groups/{group.pk}", ops)

    assert response.status_code == 204
    assert len(members(group)) == (1000 if op == "add" else 0)


def test_entra_adds_members_with_a_null_ref(scim):
    # As Microsoft documents Entra's group PATCH.
    group, person = GroupFactory(), PersonFactory()

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops(
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": str(person.pk)}]}
        ),
    )

    assert response.status_code == 204, response.content
    assert members(group) == {person.pk}
