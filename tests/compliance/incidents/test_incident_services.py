"""Closing a breach and correcting its awareness, at service level (the admin forms are
tested apart)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.errors import IncidentError
from compliance.incidents.models import Incident
from compliance.incidents.services import (
    finding_raise,
    finding_triage_breach,
    incident_close,
    incident_set_awareness,
)
from portal import roles
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

DETECTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def incident(actor):
    """A breach, triaged as soon as it was found."""
    with time_machine.travel(DETECTED, tick=False):
        raised, _ = finding_raise(
            kind=Incident.Kind.BROKEN_AUDIT_CHAIN, summary="chain broken", details={}, actor=actor
        )
        return finding_triage_breach(finding=raised, actor=actor)


@pytest.fixture
def officer():
    user = StaffUserFactory(roles=[roles.PRIVACY_OFFICER])
    return user, Actor.staff(user)


def test_setting_awareness_later_moves_the_deadline(incident, officer):
    _, staff = officer
    with time_machine.travel(DETECTED + timedelta(days=2), tick=False):
        changed = incident_set_awareness(
            incident=incident,
            aware_at=DETECTED - timedelta(hours=5),
            reason="The help desk reported it before the rule fired.",
            actor=staff,
        )

    assert changed.notification_deadline == datetime(2026, 3, 4, 4, 0, tzinfo=UTC)
    assert Incident.objects.get().notification_deadline == changed.notification_deadline
    event = AuditEvent.objects.get(action="incident.awareness_set")
    assert event.data["deadline"] == "2026-03-04T04:00:00+00:00"


def test_awareness_needs_a_reason(incident, officer):
    with pytest.raises(IncidentError) as error:
        incident_set_awareness(incident=incident, aware_at=DETECTED, reason=" ", actor=officer[1])

    assert error.value.field == "reason"


def test_awareness_cannot_be_in_the_future(incident, officer):
    with pytest.raises(IncidentError) as error:
        incident_set_awareness(
            incident=incident,
            aware_at=datetime.now(UTC) + timedelta(hours=1),
            reason="typo",
            actor=officer[1],
        )

    assert error.value.field == "aware_at"


def test_closing_records_the_notification_and_who_closed(incident, officer):
    user, staff = officer
    notified = DETECTED + timedelta(hours=30)

    closed = incident_close(
        incident=incident,
        actor=staff,
        notified_to_authority=True,
        notified_at=notified,
        note="Reported to the ICO, reference 123.",
    )

    closed.refresh_from_db()
    assert closed.status == Incident.Status.CLOSED
    assert (closed.notified_to_authority, closed.notified_at) == (True, notified)
    assert closed.closed_by == user
    assert closed.closed_at is not None
    event = AuditEvent.objects.get(action="incident.closed")
    assert event.data["notified_to_authority"] is True
    assert event.data["late"] is False


def test_a_notification_needs_its_time(incident, officer):
    with pytest.raises(IncidentError) as error:
        incident_close(
            incident=incident,
            actor=officer[1],
            notified_to_authority=True,
            notified_at=None,
            note="",
        )

    assert error.value.field == "notified_at"
    assert Incident.objects.get().status == Incident.Status.OPEN


def test_a_closed_incident_cannot_be_closed_again(incident, officer):
    incident_close(
        incident=incident,
        actor=officer[1],
        notified_to_authority=False,
        notified_at=None,
        note="No personal data reached anyone.",
    )

    with pytest.raises(IncidentError, match="already closed"):
        incident_close(
            incident=incident,
            actor=officer[1],
            notified_to_authority=False,
            notified_at=None,
            note="Again.",
        )


def test_closing_needs_a_note(incident, officer):
    with pytest.raises(IncidentError) as error:
        incident_close(
            incident=incident,
            actor=officer[1],
            notified_to_authority=False,
            notified_at=None,
            note="  ",
        )

    assert error.value.field == "note"


def test_a_finding_is_not_closed_here_but_triaged(actor, officer):
    finding, _ = finding_raise(
        kind=Incident.Kind.MASS_DEPROVISIONING, summary="leavers", details={}, actor=actor
    )

    with pytest.raises(IncidentError, match="closed by triage"):
        incident_close(
            incident=finding,
            actor=officer[1],
            notified_to_authority=False,
            notified_at=None,
            note="Not a breach.",
        )


def test_awareness_after_detection_pushes_the_deadline_later(incident, officer):
    confirmed = DETECTED + timedelta(hours=20)
    with time_machine.travel(DETECTED + timedelta(days=1), tick=False):
        changed = incident_set_awareness(
            incident=incident,
            aware_at=confirmed,
            reason="Confirmed as a personal-data breach only after the investigation.",
            actor=officer[1],
        )

    assert changed.notification_deadline == confirmed + timedelta(hours=72)
    assert changed.detected_at == DETECTED
