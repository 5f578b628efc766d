from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from compliance.audit.models import AuditEvent
from compliance.incidents.models import Incident
from compliance.incidents.services import incident_raise
from portal import roles
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

KIND = Incident.Kind.MASS_DEPROVISIONING


def raise_one(actor, **overrides):
    arguments = {
        "kind": KIND,
        "summary": "12 leavers in 10 minutes",
        "details": {"count": 12},
        "actor": actor,
    }
    return incident_raise(**{**arguments, **overrides})


def test_the_deadline_is_72_hours_after_detection(actor):
    with time_machine.travel(datetime(2026, 3, 1, 9, 30, tzinfo=UTC), tick=False):
        incident, created = raise_one(actor)

    assert created
    assert incident.aware_at == incident.detected_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert incident.notification_deadline == datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def test_raising_records_an_event_without_personal_data(actor):
    incident, _ = raise_one(actor)

    event = AuditEvent.objects.get(action="incident.raised")
    assert event.target_id == str(incident.pk)
    assert event.data == {"kind": KIND.value, "severity": "high", "count": 12}
    assert event.ciphertext == ""


def test_an_open_incident_of_the_same_kind_and_key_is_not_raised_again(actor):
    first, _ = raise_one(actor, dedupe_key="client-1")

    again, created = raise_one(actor, dedupe_key="client-1")

    assert not created
    assert again == first
    assert Incident.objects.count() == 1
    assert AuditEvent.objects.filter(action="incident.raised").count() == 1


def test_another_key_or_a_closed_one_raises_a_new_incident(actor):
    first, _ = raise_one(actor, dedupe_key="client-1")
    raise_one(actor, dedupe_key="client-2")
    Incident.objects.filter(pk=first.pk).update(status="closed", closed_at=first.detected_at)

    _, created = raise_one(actor, dedupe_key="client-1")

    assert created
    assert Incident.objects.count() == 3


def test_privacy_officers_are_emailed_on_commit(actor, django_capture_on_commit_callbacks):
    StaffUserFactory(roles=[roles.PRIVACY_OFFICER], email="dpo@example.org")
    StaffUserFactory(roles=[roles.PRIVACY_OFFICER], email="")
    StaffUserFactory(roles=[roles.PRIVACY_OFFICER], email="gone@example.org", is_active=False)
    StaffUserFactory(roles=[roles.IT], email="it@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        incident, _ = raise_one(actor)

    (message,) = mail.outbox
    assert message.to == ["dpo@example.org"]
    assert "mass deprovisioning" in message.subject
    deadline = incident.notification_deadline.strftime("%Y-%m-%d %H:%M")
    assert deadline in message.body
    assert f"/admin/compliance/incident/{incident.pk}/change/" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_a_deduplicated_incident_sends_no_second_email(actor, django_capture_on_commit_callbacks):
    StaffUserFactory(roles=[roles.PRIVACY_OFFICER], email="dpo@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        raise_one(actor)
        raise_one(actor)

    assert len(mail.outbox) == 1
