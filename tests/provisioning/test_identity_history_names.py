"""A person's identity history names the groups, roles, templates and grants its events
touched, rather than showing their UUIDs; a deleted one, or an erased manager, reads as
gone. The names cost one query per kind of object, however many events the page shows."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal import roles
from provisioning.services.access import grant_create
from provisioning.services.groups import group_create, group_delete
from provisioning.services.persons import person_create
from tests.factories import EntitlementFactory, RoleFactory, RoleTemplateFactory

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def history(client, person):
    page = client.get(reverse("admin:compliance_identity_history", args=[person.pk]))
    return page.content.decode().split('id="content-main"')[1]


@pytest.fixture
def auditor(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    return client


@pytest.fixture
def farah(actor):
    return person_create(actor=actor, fields={"user_name": "farah", "display_name": "Farah P"})


@pytest.fixture
def ada(actor, farah):
    ada = person_create(
        actor=actor, fields={"user_name": "ada", "display_name": "Ada F", "manager": farah}
    )
    group_create(actor=actor, display_name="eng", member_ids=[ada.pk])
    template = RoleTemplateFactory(name="Engineers")
    grant_create(
        person=ada,
        role=RoleFactory(name="Laptop"),
        source="template",
        template=template,
        actor=actor,
    )
    grant_create(
        person=ada,
        entitlement=EntitlementFactory(name="admin", application__name="Jira"),
        source="manual",
        actor=actor,
    )
    return ada


def test_the_history_names_groups_roles_and_templates_and_shows_no_uuid(auditor, ada):
    page = history(auditor, ada)

    assert "Every audit event about" in page
    assert "Ada F" in page
    assert "group=eng" in page
    assert "role=Laptop" in page
    assert "template=Engineers" in page
    assert "entitlement=Jira: admin" in page
    assert "manager=Farah P" in page
    assert UUID.findall(page.split("<table")[1]) == []
    assert "data subject" not in page


def test_a_deleted_group_and_an_erased_manager_read_as_gone(auditor, actor, ada, farah):
    (group,) = ada.memberships_groups.all()
    group_delete(group=group, actor=actor)
    call_command("dsar", "erase", "farah", stdout=io.StringIO())

    page = history(auditor, ada)

    assert "group=(deleted group)" in page
    assert "manager=(a person no longer in the portal)" in page
    assert UUID.findall(page.split("<table")[1]) == []


def test_the_names_cost_one_query_per_kind(auditor, actor, ada, django_assert_max_num_queries):
    for n in range(20):
        group_create(actor=actor, display_name=f"team-{n}", member_ids=[ada.pk])
        grant_create(person=ada, role=RoleFactory(), source="manual", actor=actor)
    history(auditor, ada)  # warm the session and permission caches

    with django_assert_max_num_queries(14):
        page = history(auditor, ada)
    assert "group=team-19" in page
