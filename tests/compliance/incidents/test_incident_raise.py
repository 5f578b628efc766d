from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from compliance.audit.models import AuditEvent
from compliance.incidents.models import Incident
from compliance.incidents.services import finding_raise
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
    return finding_raise(**{**arguments, **overrides})


def test_a_finding_starts_no_clock(actor):
    with time_machine.travel(datetime(2026, 3, 1, 9, 30, tzinfo=UTC), tick=False):
        finding, created = raise_one(actor)

    assert created
    assert finding.stage == Incident.Stage.FINDING
    assert finding.detected_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert finding.aware_at is None
    assert finding.notification_deadline is None


def test_raising_records_an_event_without_personal_data(actor):
    incident, _ = raise_one(actor)

    event = AuditEvent.objects.get(action="incident.raised")
    assert event.target_id == str(incident.pk)
    assert event.data == {"kind": KIND.value, "severity": "high", "count": 12}
    assert event.ciphertext == ""


def test_a_finding_of_the_same_kind_and_key_found_again_joins_the_open_one(actor):
    first, _ = raise_one(actor, dedupe_key="client-1")

    again, created = raise_one(actor, dedupe_key="client-1", details={"count": 3})

    assert not created
    assert again == first
    assert Incident.objects.count() == 1
    assert (again.occurrences, again.details["count"]) == (2, 15)
    assert AuditEvent.objects.filter(action="incident.raised").count() == 1
    assert AuditEvent.objects.get(action="incident.finding_repeated").data["occurrences"] == 2


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
    assert "Finding to triage: mass deprovisioning" in message.subject
    assert "that clock starts\nwhen you triage it as a breach" in message.body
    assert f"/admin/compliance/finding/{incident.pk}/change/" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_a_deduplicated_incident_sends_no_second_email(actor, django_capture_on_commit_callbacks):
    StaffUserFactory(roles=[roles.PRIVACY_OFFICER], email="dpo@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        raise_one(actor)
        raise_one(actor)

    assert len(mail.outbox) == 1
