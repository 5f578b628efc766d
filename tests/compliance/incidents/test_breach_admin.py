"""The breach pages: the clock in the list, and the close and awareness workflows."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from compliance.incidents.models import Incident
from compliance.incidents.services import finding_raise, finding_triage_breach
from portal import roles

pytestmark = pytest.mark.django_db

LIST = reverse("admin:compliance_breach_changelist")


def raise_at(actor, when, kind=Incident.Kind.MASS_DEPROVISIONING, key=""):
    """A finding triaged as a breach at `when`: its clock starts then."""
    with time_machine.travel(when, tick=False):
        finding, _ = finding_raise(
            kind=kind, summary=f"{kind.label} {key}", details={}, actor=actor, dedupe_key=key
        )
        return finding_triage_breach(finding=finding, actor=actor)


CLOSING = {"note": "Not a personal-data breach: a test.", "confirm": "on"}


def close_url(incident):
    return reverse("admin:compliance_breach_close", args=[incident.pk])


@pytest.fixture
def officer_client(staff_client_for):
    return staff_client_for(roles.PRIVACY_OFFICER)[0]


def test_the_list_counts_down_and_highlights_overdue_and_under_a_day(actor, officer_client):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    raise_at(actor, now - timedelta(hours=80), key="overdue")
    raise_at(actor, now - timedelta(hours=60), key="soon")
    raise_at(actor, now - timedelta(hours=1), key="fresh")

    with time_machine.travel(now, tick=False):
        page = officer_client.get(LIST).content.decode()

    assert page.count("incident-countdown overdue") == 1
    assert "overdue by 8 h" in page
    assert page.count("incident-countdown soon") == 1
    assert "2 d 23 h" in page  # the fresh one, not highlighted


def test_closing_through_the_admin_records_the_notification(actor, officer_client):
    incident = raise_at(actor, datetime.now(UTC) - timedelta(hours=10))

    response = officer_client.post(
        close_url(incident),
        {
            "notified_to_authority": "on",
            "notified_at": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "note": "Notified; reference 42.",
            "confirm": "on",
        },
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    assert incident.notified_to_authority
    assert incident.notified_at is not None
    assert incident.closing_note == "Notified; reference 42."


def test_notified_without_a_time_is_a_form_error(actor, officer_client):
    incident = raise_at(actor, datetime.now(UTC))

    response = officer_client.post(close_url(incident), {**CLOSING, "notified_to_authority": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "notified_at": ["Say when the authority was notified."]
    }
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


def test_a_malformed_time_is_a_form_error(actor, officer_client):
    incident = raise_at(actor, datetime.now(UTC))

    response = officer_client.post(
        close_url(incident), {"notified_to_authority": "on", "notified_at": "yesterday"}
    )

    assert response.status_code == 200
    assert "notified_at" in response.context["form"].errors


def test_closing_without_a_note_and_a_confirmation_is_refused(actor, officer_client):
    incident = raise_at(actor, datetime.now(UTC))

    response = officer_client.post(close_url(incident), {})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "note": ["This field is required."],
        "confirm": ["Tick the box to close the breach."],
    }
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


def test_closing_a_closed_incident_is_a_form_error(actor, officer_client):
    incident = raise_at(actor, datetime.now(UTC))
    officer_client.post(close_url(incident), CLOSING)

    response = officer_client.post(close_url(incident), CLOSING)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This breach is already closed."]


def test_correcting_awareness_through_the_admin_moves_the_deadline(actor, officer_client):
    incident = raise_at(actor, datetime(2026, 3, 1, 12, 0, tzinfo=UTC))

    response = officer_client.post(
        reverse("admin:compliance_breach_awareness", args=[incident.pk]),
        {"aware_at": "2026-03-01T08:00", "reason": "Reported by phone first."},
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.notification_deadline == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


def test_the_auditor_sees_breaches_but_cannot_close_them(actor, staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    incident = raise_at(actor, datetime.now(UTC))
    change = reverse("admin:compliance_breach_change", args=[incident.pk])

    assert client.get(LIST).status_code == 200
    assert close_url(incident) not in client.get(change).content.decode()
    assert client.post(close_url(incident), {}).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


def test_the_privacy_officer_is_offered_the_workflows(actor, officer_client):
    incident = raise_at(actor, datetime.now(UTC))
    change = reverse("admin:compliance_breach_change", args=[incident.pk])

    page = officer_client.get(change).content.decode()

    assert close_url(incident) in page
    assert officer_client.get(close_url(incident)).status_code == 200


@pytest.mark.parametrize("role", [roles.HR, roles.IT, roles.APPROVER])
def test_other_roles_see_no_breaches(staff_client_for, role):
    client, _ = staff_client_for(role)

    assert client.get(LIST).status_code == 403
