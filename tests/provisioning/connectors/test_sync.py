"""Pushes to a real downstream SCIM server (scim2-server in its own process)."""

import logging
import uuid

import pytest

from provisioning.connectors.models import Connector, DownstreamAccount, GroupMapping
from provisioning.connectors.tasks import push_person
from provisioning.services import groups, persons
from tests.factories import GroupFactory
from tests.provisioning.connectors.conftest import make_connector

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
pytestmark = pytest.mark.django_db


def onboard(actor, capture, group=None, **fields):
    """person_create plus group membership, with the pushes their commits queue."""
    values = {
        "user_name": f"ada-{uuid.uuid4().hex[:8]}@example.org",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "display_name": "Ada Lovelace",
        "title": "Engineer",
        "department": "Engineering",
        **fields,
    }
    with capture(execute=True):
        person = persons.person_create(
            actor=actor,
            fields=values,
            emails=[persons.Contact(value=values["user_name"], primary=True)],
            phones=[persons.Contact(value="+44 20 7946 0000")],
        )
    if group is not None:
        with capture(execute=True):
            groups.group_members_add(group=group, person_ids=[person.pk], actor=actor)
    return person


def account_of(person, connector):
    return DownstreamAccount.objects.get(person=person, connector=connector)


def test_onboarding_creates_the_person_downstream_with_mapped_attributes_and_groups(
    actor, connector, mapped_group, downstream, django_capture_on_commit_callbacks
):
    group, mapping = mapped_group
    person = onboard(actor, django_capture_on_commit_callbacks, group=group)

    account = account_of(person, connector)
    user = downstream.user(account.downstream_id)
    assert (user["userName"], user["externalId"]) == (person.user_name, str(person.pk))
    assert user["name"] == {"givenName": "Ada", "familyName": "Lovelace"}
    assert (user["title"], user[ENTERPRISE]["department"]) == ("Engineer", "Engineering")
    assert user["emails"][0]["value"] == person.user_name
    mapping.refresh_from_db()
    assert downstream.group_members(mapping.downstream_id) == {account.downstream_id}
    assert account.status == DownstreamAccount.Status.HEALTHY


def test_a_move_changes_the_downstream_groups(
    actor, connector, mapped_group, downstream, django_capture_on_commit_callbacks
):
    old_group, old_mapping = mapped_group
    new_group = GroupFactory()
    new_mapping = GroupMapping.objects.create(
        connector=connector, group_id=new_group.pk, downstream_name=f"new-{uuid.uuid4().hex[:8]}"
    )
    person = onboard(actor, django_capture_on_commit_callbacks, group=old_group)

    with django_capture_on_commit_callbacks(execute=True):
        groups.group_members_remove(group=old_group, person_ids=[person.pk], actor=actor)
        groups.group_members_add(group=new_group, person_ids=[person.pk], actor=actor)

    account = account_of(person, connector)
    old_mapping.refresh_from_db()
    new_mapping.refresh_from_db()
    assert downstream.group_members(old_mapping.downstream_id) == set()
    assert downstream.group_members(new_mapping.downstream_id) == {account.downstream_id}


def test_a_leaver_is_deactivated_downstream_and_leaves_its_groups(
    actor, connector, mapped_group, downstream, django_capture_on_commit_callbacks
):
    group, mapping = mapped_group
    person = onboard(actor, django_capture_on_commit_callbacks, group=group)

    with django_capture_on_commit_callbacks(execute=True):
        persons.person_set_active(person=person, actor=actor, active=False)

    account = account_of(person, connector)
    mapping.refresh_from_db()
    assert downstream.user(account.downstream_id)["active"] is False
    assert downstream.group_members(mapping.downstream_id) == set()


def test_a_leaver_is_deleted_downstream_when_the_connector_says_delete(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    connector = make_connector(running_server, actor, deprovision=Connector.Deprovision.DELETE)
    person = onboard(actor, django_capture_on_commit_callbacks)
    created_id = account_of(person, connector).downstream_id

    with django_capture_on_commit_callbacks(execute=True):
        persons.person_set_active(person=person, actor=actor, active=False)

    assert downstream.users(f'userName eq "{person.user_name}"') == []
    assert created_id
    assert account_of(person, connector).downstream_id == ""


def test_an_attribute_not_declared_for_the_application_never_leaves_the_portal(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    # Slack's allow-list has neither phone numbers nor employee numbers; the mapping is
    # written around the admin's validation, straight into the database.
    connector = make_connector(running_server, actor)
    Connector.objects.filter(pk=connector.pk).update(
        attributes=[*connector.attributes, "phoneNumbers", f"{ENTERPRISE}:employeeNumber"]
    )
    person = onboard(actor, django_capture_on_commit_callbacks, employee_number="E-1234")

    user = downstream.user(account_of(person, connector).downstream_id)
    assert "phoneNumbers" not in user
    assert "employeeNumber" not in user[ENTERPRISE]
    assert user[ENTERPRISE]["department"] == "Engineering"


def test_a_change_sends_only_the_changed_attributes_and_nothing_when_nothing_changed(
    actor, connector, downstream, django_capture_on_commit_callbacks
):
    person = onboard(actor, django_capture_on_commit_callbacks)
    account = account_of(person, connector)
    with django_capture_on_commit_callbacks(execute=True):
        persons.person_update(person=person, actor=actor, fields={"title": "Principal"})
    after_change = downstream.user(account.downstream_id)

    push_person(str(connector.pk), str(person.pk))

    assert after_change["title"] == "Principal"
    assert (
        downstream.user(account.downstream_id)["meta"]["version"]
        == (after_change["meta"]["version"])
    )


def test_a_retried_create_finds_the_account_it_made_instead_of_duplicating_it(
    actor, connector, downstream, django_capture_on_commit_callbacks
):
    person = onboard(actor, django_capture_on_commit_callbacks)
    created_id = account_of(person, connector).downstream_id
    # The create's answer was lost (a crash after the POST): the portal has no id.
    DownstreamAccount.objects.filter(person=person).update(downstream_id="", pushed_digests={})

    push_person(str(connector.pk), str(person.pk))

    assert [u["id"] for u in downstream.users(f'userName eq "{person.user_name}"')] == [created_id]
    assert account_of(person, connector).downstream_id == created_id


def mapped_connector(server, actor):
    connector = make_connector(server, actor, scope=Connector.Scope.MAPPED)
    group = GroupFactory()
    mapping = GroupMapping.objects.create(
        connector=connector, group_id=group.pk, downstream_name=f"users-{uuid.uuid4().hex[:8]}"
    )
    return connector, group, mapping


def test_with_a_mapped_scope_a_person_without_a_mapped_group_is_not_sent(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    mapped_connector(running_server, actor)

    person = onboard(actor, django_capture_on_commit_callbacks)

    assert downstream.users(f'userName eq "{person.user_name}"') == []


def test_with_a_mapped_scope_joining_the_group_provisions_and_leaving_it_deactivates(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    connector, group, mapping = mapped_connector(running_server, actor)
    person = onboard(actor, django_capture_on_commit_callbacks, group=group)
    account = account_of(person, connector)
    assert downstream.user(account.downstream_id)["active"] is True

    with django_capture_on_commit_callbacks(execute=True):
        groups.group_members_remove(group=group, person_ids=[person.pk], actor=actor)

    mapping.refresh_from_db()
    assert downstream.user(account.downstream_id)["active"] is False
    assert downstream.group_members(mapping.downstream_id) == set()


def test_group_membership_changes_go_out_as_one_patch_per_group(
    actor, connector, mapped_group, downstream, django_capture_on_commit_callbacks, caplog
):
    group, mapping = mapped_group
    onboard(actor, django_capture_on_commit_callbacks, group=group)  # the group exists now
    people = [onboard(actor, django_capture_on_commit_callbacks) for _ in range(3)]
    mapping.refresh_from_db()
    caplog.set_level(logging.INFO, logger="httpx2")  # the HTTP client logs each request
    caplog.clear()

    with django_capture_on_commit_callbacks(execute=True):
        groups.group_members_add(group=group, person_ids=[p.pk for p in people], actor=actor)

    patches = [r for r in caplog.messages if "PATCH" in r and "/Groups/" in r]
    assert len(patches) == 1
    assert {account_of(p, connector).downstream_id for p in people} <= downstream.group_members(
        mapping.downstream_id
    )
