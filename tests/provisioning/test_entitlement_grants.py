"""A person holds a role or a single entitlement. Entitlements outside any role are granted
by hand in the admin, and then live like any other grant: they show in the reports, end
with the leaver and at their expiry, reach the downstream applications and the data-subject
export."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.access_report import AccessHoldings
from provisioning.connectors.selectors import entitlement_holders, person_entitlements
from provisioning.dsar_access import grants as grant_records
from provisioning.models import AccessGrant
from provisioning.services import access
from tests.factories import (
    AccessGrantFactory,
    ApplicationFactory,
    EntitlementFactory,
    PersonEmailFactory,
    PersonFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db

MANUAL = reverse("admin:provisioning_grant_manual")


@pytest.fixture
def licence():
    return EntitlementFactory(application=ApplicationFactory(name="Figma"), name="Editor seat")


def grant_licence(person, licence, actor, **kwargs):
    return access.grant_create(
        person=person, entitlement=licence, source="manual", actor=actor, **kwargs
    )


def test_it_grants_one_entitlement_by_hand_and_the_grant_is_audited(staff_client_for, licence):
    client, _ = staff_client_for(roles.IT)
    person = PersonFactory()

    response = client.post(
        MANUAL, {"person": person.pk, "entitlement": licence.pk, "reason": "design sprint"}
    )

    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert (grant.person, grant.role, grant.entitlement, grant.source) == (
        person,
        None,
        licence,
        "manual",
    )
    event = AuditEvent.objects.get(action="grant.created")
    assert event.data["entitlement"] == str(licence.pk)
    assert "role" not in event.data


@pytest.mark.parametrize("choice", ["neither", "both"])
def test_the_form_asks_for_a_role_or_an_entitlement(staff_client_for, licence, choice):
    client, _ = staff_client_for(roles.IT)
    form = {"person": PersonFactory().pk, "reason": "x"}
    if choice == "both":
        form |= {"role": RoleFactory().pk, "entitlement": licence.pk}

    response = client.post(MANUAL, form)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Choose a role or an entitlement, not both."
    ]
    assert not AccessGrant.objects.exists()


def test_an_end_in_the_past_is_a_form_error(staff_client_for, licence):
    client, _ = staff_client_for(roles.IT)
    past = timezone.now() - timedelta(days=1)

    response = client.post(
        MANUAL,
        {
            "person": PersonFactory().pk,
            "entitlement": licence.pk,
            "reason": "x",
            "expires_at_0": past.strftime("%Y-%m-%d"),
            "expires_at_1": past.strftime("%H:%M:%S"),
        },
    )

    assert response.context["form"].errors["expires_at"] == ["The end must be in the future."]
    assert not AccessGrant.objects.exists()


def test_an_entitlement_already_held_is_a_form_error(staff_client_for, licence, actor):
    client, _ = staff_client_for(roles.IT)
    person = PersonFactory()
    grant_licence(person, licence, actor)

    response = client.post(MANUAL, {"person": person.pk, "entitlement": licence.pk, "reason": "x"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "the person already holds Figma: Editor seat"
    ]
    assert AccessGrant.objects.count() == 1


def test_the_database_holds_a_grant_to_exactly_one_role_or_manual_entitlement(licence):
    person, role = PersonFactory(), RoleFactory()
    for bad in (
        {"role": role, "entitlement": licence},
        {"role": None, "entitlement": None},
        {"role": None, "entitlement": licence, "source": "template"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AccessGrantFactory(person=person, **bad)


def test_templates_and_requests_grant_roles_only(licence, actor):
    with pytest.raises(TypeError):
        access.grant_create(
            person=PersonFactory(), entitlement=licence, source="request", actor=actor
        )


def test_the_leaver_and_the_expiry_end_entitlement_grants(licence, actor):
    leaver, temporary = PersonFactory(), PersonFactory()
    grant_licence(leaver, licence, actor)
    grant_licence(temporary, licence, actor, expires_at=timezone.now() + timedelta(days=1))

    access.grants_revoke_all(person=leaver, actor=actor, reason="left")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert access.grants_expire(actor=actor) == 1

    assert set(AccessGrant.objects.values_list("status", flat=True)) == {"revoked", "expired"}
    ended = AuditEvent.objects.filter(action__in=["grant.revoked", "grant.expired"])
    assert {event.data["entitlement"] for event in ended} == {str(licence.pk)}


def test_the_expiry_reminder_names_the_entitlement_and_goes_to_the_holder(
    licence, actor, settings, django_capture_on_commit_callbacks
):
    settings.GRANT_EXPIRY_REMINDER_DAYS = 3
    holder = PersonFactory()
    PersonEmailFactory(person=holder, value="holder@example.org", primary=True)
    grant_licence(holder, licence, actor, expires_at=timezone.now() + timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        assert access.grants_expiry_remind(actor=actor) == 1

    (message,) = mail.outbox
    assert message.to == ["holder@example.org"]
    assert message.subject == f"Access ends soon: Figma: Editor seat for {holder}"
    assert 'The entitlement "Figma: Editor seat"' in message.body


def test_reports_and_the_access_report_show_entitlement_grants(staff_client_for, licence, actor):
    client, _ = staff_client_for(roles.AUDITOR)
    person = PersonFactory()
    grant_licence(person, licence, actor, reason="design sprint")

    manual = client.get(reverse("admin:provisioning_report", args=["manual"]))
    (holding,) = list(AccessHoldings(person_id=person.pk))

    assert [row[:2] for row in manual.context["rows"]] == [(person, licence)]
    assert (holding.kind, holding.holds, holding.why) == (
        "entitlement grant",
        "Figma: Editor seat",
        "design sprint",
    )


def test_the_data_subject_export_holds_entitlement_grants(licence, actor):
    person = PersonFactory()
    grant_licence(person, licence, actor, reason="design sprint")

    (record,) = list(grant_records(person))

    assert (record["role"], record["entitlement"], record["reason"]) == (
        "",
        "Figma: Editor seat",
        "design sprint",
    )


def test_an_entitlement_is_held_directly_or_through_a_role(licence, actor):
    direct, through_role, neither = PersonFactory.create_batch(3)
    grant_licence(direct, licence, actor)
    access.grant_create(
        person=through_role,
        role=RoleFactory(entitlements=[licence]),
        source="manual",
        actor=actor,
    )

    assert list(person_entitlements(direct)) == [licence]
    assert list(person_entitlements(through_role)) == [licence]
    assert list(person_entitlements(neither)) == []
    assert set(entitlement_holders(licence.pk)) == {direct, through_role}


def test_it_finds_the_entitlement_by_searching_in_the_form(staff_client_for, licence):
    client, _ = staff_client_for(roles.IT)
    EntitlementFactory(name="Viewer seat")

    page = client.get(MANUAL)
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "provisioning",
            "model_name": "accessgrant",
            "field_name": "entitlement",
            "term": "Editor",
        },
    )

    assert page.status_code == 200
    assert 'name="entitlement"' in page.content.decode()
    assert [result["text"] for result in found.json()["results"]] == ["Figma: Editor seat"]
