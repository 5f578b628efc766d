"""The retention job enforces every declared retention: audit details crypto-shredded by
quarter with the chain still verifying, finished access records deleted, lifted holds
deleted, breach notes blanked, departed staff anonymised. Time travels with time-machine;
each rule is run through the beat task, as in production."""

import datetime as dt

import pytest
import time_machine

from compliance.audit import crypto
from compliance.audit.chain import verify
from compliance.audit.models import AuditEvent, SubjectKey
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.dsar import services as dsar
from compliance.dsar.models import LegalHold
from compliance.incidents.models import Incident
from compliance.incidents.services import finding_dismiss, finding_raise
from compliance.tasks import retention_apply
from portal import services as staff
from portal.models import StaffUser
from provisioning.models import AccessGrant
from tests.factories import AccessGrantFactory, PersonFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime.now(dt.UTC).replace(microsecond=0)
TWO_YEARS = dt.timedelta(days=730)


def run_at(moment):
    with time_machine.travel(moment):
        return retention_apply.delay().get()


def details(actor, subject, name):
    return event_record(
        actor=actor,
        action=Action.PERSON_UPDATED,
        target=("provisioning.person", subject),
        subject_id=subject,
        personal={"name": name},
    )


def test_audit_details_past_retention_are_shredded_and_the_chain_still_verifies(actor):
    with time_machine.travel(START):
        old = details(actor, "subject-1", "Old Name")
    later = START + TWO_YEARS + dt.timedelta(days=100)
    with time_machine.travel(later):
        recent = details(actor, "subject-1", "New Name")

    done = run_at(later)

    assert done["audit_details_shredded"] == 1
    old, recent = AuditEvent.objects.get(pk=old.pk), AuditEvent.objects.get(pk=recent.pk)
    assert crypto.decrypt(old.subject_id, old.ciphertext) is None
    assert crypto.decrypt(recent.subject_id, recent.ciphertext) == {"name": "New Name"}
    assert verify().ok


def test_audit_details_within_retention_stay_readable(actor):
    with time_machine.travel(START):
        event = details(actor, "subject-2", "Kept Name")

    assert run_at(START + dt.timedelta(days=700))["audit_details_shredded"] == 0
    assert crypto.decrypt(event.subject_id, event.ciphertext) == {"name": "Kept Name"}


def test_shredding_works_in_chunks_with_bounded_queries(
    actor, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("compliance.retention.CHUNK", 2)
    with time_machine.travel(START):
        for number in range(5):
            details(actor, f"subject-{number}", "someone")

    later = START + TWO_YEARS + dt.timedelta(days=100)
    with time_machine.travel(later), django_assert_max_num_queries(80):
        done = retention_apply.delay().get()

    assert done["audit_details_shredded"] == 5
    assert not SubjectKey.objects.exists()


def test_erasing_a_subject_destroys_every_quarter_of_their_keys(actor):
    with time_machine.travel(START):
        details(actor, "subject-3", "a")
    with time_machine.travel(START + dt.timedelta(days=200)):
        details(actor, "subject-3", "b")

    assert crypto.destroy_subject_key("subject-3")
    assert not SubjectKey.objects.exists()


def test_details_sealed_before_quarterly_keys_still_read(actor):
    """A detail sealed under the subject's first key (no epoch in front) stays readable."""
    keys = crypto.keys_for_writing(["subject-4"])
    legacy = crypto.encrypt_with(keys, "subject-4", {"name": "x"}).partition(":")[2]
    SubjectKey.objects.filter(subject_id__startswith="subject-4@").update(subject_id="subject-4")

    assert crypto.decrypt("subject-4", legacy) == {"name": "x"}


def test_finished_grants_are_deleted_two_years_after_they_end(actor):
    with time_machine.travel(START):
        ended = AccessGrantFactory(
            status=AccessGrant.Status.REVOKED, revoked_at=START, revoked_by="it"
        )
        active = AccessGrantFactory()

    assert run_at(START + TWO_YEARS - dt.timedelta(days=1))["access_records_deleted"] == 0
    assert run_at(START + TWO_YEARS + dt.timedelta(days=1))["access_records_deleted"] == 1
    assert list(AccessGrant.objects.values_list("pk", flat=True)) == [active.pk]
    assert not AccessGrant.objects.filter(pk=ended.pk).exists()


def test_lifted_legal_holds_are_deleted_two_years_after_lifting(actor):
    with time_machine.travel(START):
        hold = dsar.legal_hold_place(actor=actor, person=PersonFactory(), reason="tribunal")
        dsar.legal_hold_lift(actor=actor, hold=hold)
        kept = dsar.legal_hold_place(actor=actor, person=PersonFactory(), reason="audit")

    assert run_at(START + TWO_YEARS + dt.timedelta(days=1))["legal_holds_deleted"] == 1
    assert list(LegalHold.objects.values_list("pk", flat=True)) == [kept.pk]


def test_closed_findings_keep_their_record_but_lose_their_notes_after_five_years(actor):
    with time_machine.travel(START):
        finding, _ = finding_raise(
            kind=Incident.Kind.MASS_DEPROVISIONING, summary="leavers", details={}, actor=actor
        )
        finding_dismiss(finding=finding, actor=actor, reason="A re-org named in HR's plan.")

    assert run_at(START + dt.timedelta(days=365 * 5 - 1))["incident_notes_blanked"] == 0
    assert run_at(START + dt.timedelta(days=365 * 5 + 1))["incident_notes_blanked"] == 1
    finding.refresh_from_db()
    assert finding.triage_reason == ""
    assert finding.stage == Incident.Stage.NOT_BREACH


def test_departed_staff_are_anonymised_after_their_retention(actor):
    gone = StaffUserFactory(username="former.admin", email="f@example.org", first_name="Fay")
    here = StaffUserFactory(username="current.admin")
    staff.staff_deactivate(user=gone, actor=actor)

    assert run_at(START + dt.timedelta(days=89))["staff_anonymised"] == 0
    assert run_at(START + dt.timedelta(days=91))["staff_anonymised"] == 1
    gone.refresh_from_db()
    assert (gone.username, gone.email, gone.first_name) == (f"former-staff-{gone.pk}", "", "")
    assert StaffUser.objects.get(pk=here.pk).username == "current.admin"
