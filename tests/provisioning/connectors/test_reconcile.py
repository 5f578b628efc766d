"""Reconciliation against the real downstream: drift is repaired, orphans are reported."""

import uuid

import pytest
from django.urls import reverse

from portal.roles import IT
from provisioning.connectors.models import DownstreamAccount, DownstreamOrphan
from provisioning.connectors.tasks import reconcile_connector
from provisioning.services import groups, persons
from tests.provisioning.connectors.conftest import make_connector

pytestmark = pytest.mark.django_db
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_a_change_made_downstream_behind_the_portals_back_is_repaired(
    actor, connector, mapped_group, downstream, django_capture_on_commit_callbacks
):
    group, mapping = mapped_group
    with django_capture_on_commit_callbacks(execute=True):
        person = persons.person_create(
            actor=actor,
            fields={"user_name": f"ken-{uuid.uuid4().hex[:8]}@example.org", "title": "SRE"},
        )
        groups.group_members_add(group=group, person_ids=[person.pk], actor=actor)
    account = DownstreamAccount.objects.get(person=person)
    mapping.refresh_from_db()
    operations = [
        {"op": "replace", "path": "title", "value": "Admin"},
        {"op": "replace", "path": "active", "value": False},
    ]
    downstream.send(
        "PATCH", f"/Users/{account.downstream_id}", {"schemas": [PATCH], "Operations": operations}
    )
    downstream.send(
        "PATCH",
        f"/Groups/{mapping.downstream_id}",
        {"schemas": [PATCH], "Operations": [{"op": "remove", "path": "members"}]},
    )

    report = reconcile_connector(str(connector.pk))

    user = downstream.user(account.downstream_id)
    assert (user["title"], user["active"]) == ("SRE", True)
    assert downstream.group_members(mapping.downstream_id) == {account.downstream_id}
    assert report["users_repaired"] >= 1
    assert report["groups_repaired"] == 1


def test_a_user_deleted_downstream_is_made_again(
    actor, connector, downstream, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        person = persons.person_create(
            actor=actor, fields={"user_name": f"joan-{uuid.uuid4().hex[:8]}@example.org"}
        )
    downstream.send(
        "DELETE", f"/Users/{DownstreamAccount.objects.get(person=person).downstream_id}"
    )

    reconcile_connector(str(connector.pk))

    assert [u["externalId"] for u in downstream.users(f'userName eq "{person.user_name}"')] == [
        str(person.pk)
    ]


def test_downstream_accounts_matching_no_person_are_reported_and_not_deleted(
    connector, downstream, staff_client_for
):
    stranger = f"stranger-{uuid.uuid4().hex[:8]}@example.org"
    created = downstream.send(
        "POST",
        "/Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": stranger},
    )

    reconcile_connector(str(connector.pk))

    assert downstream.user(created["id"])["userName"] == stranger
    orphan = DownstreamOrphan.objects.get(connector=connector, downstream_id=created["id"])
    assert orphan.user_name == stranger
    client, _ = staff_client_for(IT)
    page = client.get(reverse("admin:provisioning_downstreamorphan_changelist"))
    assert stranger in page.content.decode()


def test_it_can_reconcile_a_connector_from_the_admin(connector, staff_client_for):
    client, _ = staff_client_for(IT)

    response = client.post(
        reverse("admin:provisioning_connector_changelist"),
        {"action": "reconcile_now", "_selected_action": [connector.pk]},
        follow=True,
    )

    assert "reconciliation" in response.content.decode()
    assert "users checked" in response.content.decode()


def test_people_in_scope_without_an_account_are_provisioned(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    # The person existed before the application got its connector.
    with django_capture_on_commit_callbacks(execute=True):
        person = persons.person_create(
            actor=actor, fields={"user_name": f"hedy-{uuid.uuid4().hex[:8]}@example.org"}
        )
    connector = make_connector(running_server, actor)

    report = reconcile_connector(str(connector.pk))

    assert report["users_created"] == 1
    assert [u["externalId"] for u in downstream.users(f'userName eq "{person.user_name}"')] == [
        str(person.pk)
    ]


def test_a_member_removed_by_reconciliation_is_added_again_when_they_rejoin(
    actor, connector, mapped_group, downstream, django_capture_on_commit_callbacks
):
    """While the connector was off, the person left the group: reconciliation removes
    them downstream, and their account must no longer claim the group, or rejoining
    would be taken for a membership already pushed."""
    group, mapping = mapped_group
    with django_capture_on_commit_callbacks(execute=True):
        person = persons.person_create(
            actor=actor, fields={"user_name": f"ida-{uuid.uuid4().hex[:8]}@example.org"}
        )
        groups.group_members_add(group=group, person_ids=[person.pk], actor=actor)
    account = DownstreamAccount.objects.get(person=person)
    mapping.refresh_from_db()
    connector.enabled = False
    connector.save(update_fields=["enabled"])
    with django_capture_on_commit_callbacks(execute=True):
        groups.group_members_remove(group=group, person_ids=[person.pk], actor=actor)
    assert downstream.group_members(mapping.downstream_id) == {account.downstream_id}
    connector.enabled = True
    connector.save(update_fields=["enabled"])

    report = reconcile_connector(str(connector.pk))
    assert report["groups_repaired"] == 1
    assert downstream.group_members(mapping.downstream_id) == set()

    with django_capture_on_commit_callbacks(execute=True):
        groups.group_members_add(group=group, person_ids=[person.pk], actor=actor)
    assert downstream.group_members(mapping.downstream_id) == {account.downstream_id}
