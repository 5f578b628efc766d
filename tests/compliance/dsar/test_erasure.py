"""Erasure: every store, a receipt without personal data, resumable, blocked by holds."""

import io
import json
import re

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

from compliance.audit import crypto
from compliance.audit.chain import verify
from compliance.audit.models import AuditEvent, SubjectKey
from compliance.dsar import erasers, services
from compliance.dsar.erasure import receipt_path
from compliance.dsar.models import DataSubjectRequest, Erasure, ErasureLedgerEntry, Status
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.errors import LegalHoldError
from provisioning.models import Membership, Person, SentEmail
from provisioning.services import groups, persons
from tests.factories import PersonEmailFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(actor):
    someone = persons.person_create(
        actor=actor,
        fields={
            "user_name": "quill.ardent",
            "given_name": "Quill",
            "family_name": "Ardent",
            "external_id": "X-QA-1",
            "employee_number": "E-9931",
        },
        emails=[persons.Contact("quill.ardent@example.org", primary=True)],
        phones=[persons.Contact("+44 20 7946 9931")],
    )
    persons.person_update(person=someone, actor=actor, fields={"title": "Chief Quill"})
    groups.group_create(actor=actor, display_name="g1", member_ids=[someone.pk])
    SentEmail.objects.create(recipients=["quill.ardent@example.org"], subject="s", body="b")
    return someone


def deletion(actor, person):
    request = services.request_receive(
        actor=actor,
        regulation="gdpr",
        type="deletion",
        person=person,
        identifiers={"email": "quill.ardent@example.org"},
    )
    return services.request_verify(actor=actor, request=request, method="hr-record")


def erase(request):
    return Erasure.objects.get(pk=dsar_erase.delay(str(request.pk)).get())


def test_erasure_leaves_a_pseudonymous_stub(actor, person):
    erase(deletion(actor, person))

    stub = Person.objects.get(pk=person.pk)
    assert stub.user_name == f"erased-{person.pk.hex}"
    assert (stub.given_name, stub.family_name, stub.external_id, stub.employee_number) == (
        "",
        "",
        "",
        "",
    )
    assert not stub.emails.exists()
    assert not stub.phone_numbers.exists()
    assert not stub.active


def test_erasure_removes_memberships_through_the_group_service(actor, person):
    erase(deletion(actor, person))

    assert not Membership.objects.filter(person=person).exists()
    assert AuditEvent.objects.filter(
        action="group.members_removed", subject_id=str(person.pk)
    ).exists()


def test_erasure_deletes_emails_and_field_history(actor, person):
    # People left django-auditlog; their entries from before are still erased.
    LogEntry.objects.log_create(person, action=LogEntry.Action.UPDATE, changes={"x": [1, 2]})
    assert LogEntry.objects.filter(object_pk=str(person.pk)).exists()

    erase(deletion(actor, person))

    assert not SentEmail.objects.exists()
    assert not LogEntry.objects.filter(object_pk=str(person.pk)).exists()


def test_erasure_shreds_the_audit_details_and_the_chain_still_verifies(actor, person):
    erase(deletion(actor, person))

    assert not SubjectKey.objects.filter(subject_id__startswith=str(person.pk)).exists()
    created = AuditEvent.objects.get(action="person.created")
    assert crypto.decrypt(str(person.pk), created.ciphertext) is None
    assert verify().ok


def test_the_request_keeps_only_keyed_hashes_of_the_identifiers(actor, person):
    request = deletion(actor, person)
    erase(request)

    request.refresh_from_db()
    assert request.subject_identifiers == {}
    assert len(request.identifier_hashes) == 1
    assert request.status == Status.READY


def test_the_ledger_holds_a_keyed_hash_of_each_identifier_that_singles_them_out(actor, person):
    erase(deletion(actor, person))

    # Not the phone number: a shared desk phone singles no one out.
    assert set(ErasureLedgerEntry.objects.values_list("kind", flat=True)) == {
        "user_name",
        "external_id",
        "employee_number",
        "email",
    }


def test_the_receipt_lists_every_store_with_times_and_no_personal_data(actor, person):
    erasure = erase(deletion(actor, person))

    text = receipt_path(erasure).read_text()
    receipt = json.loads(text)
    assert [step["eraser"] for step in receipt["steps"]] == [e.name for e in erasers.registered()]
    assert all(step["completed_at"] for step in receipt["steps"])
    for identifier in ("quill", "Ardent", "X-QA-1", "E-9931", "9931"):
        # As a word: a random UUID in the receipt may hold the digits "9931".
        assert not re.search(rf"\b{re.escape(identifier)}\b", text, re.IGNORECASE)


def test_a_legal_hold_blocks_erasure_with_its_reason(actor, person):
    services.legal_hold_place(actor=actor, person=person, reason="litigation 2026-17")

    with pytest.raises(LegalHoldError, match="litigation 2026-17"):
        erase(deletion(actor, person))
    assert Person.objects.get(pk=person.pk).user_name == "quill.ardent"


class Killed(KeyboardInterrupt):
    """A worker killed between two erasers."""


def test_an_erasure_killed_between_two_erasers_completes_when_run_again(actor, person):
    request = deletion(actor, person)

    def killed(person, actor):
        raise Killed

    erasers.register_eraser("kill-switch", "nowhere", killed, order=erasers.ANONYMISE - 1)
    try:
        with pytest.raises(Killed):
            dsar_erase.delay(str(request.pk))
    finally:
        erasers.unregister_eraser("kill-switch")
    halfway = Erasure.objects.get(request=request)
    done_before = set(halfway.steps.values_list("eraser", flat=True))
    assert "memberships" in done_before
    assert "person" not in done_before
    assert Person.objects.get(pk=person.pk).given_name == "Quill"  # not half-anonymised

    erasure = erase(DataSubjectRequest.objects.get(pk=request.pk))

    receipt = json.loads(receipt_path(erasure).read_text())
    assert [step["eraser"] for step in receipt["steps"]] == [e.name for e in erasers.registered()]
    assert erasure.steps.filter(eraser="memberships").count() == 1
    assert Person.objects.get(pk=person.pk).given_name == ""


def test_erasing_twice_changes_nothing_the_second_time(actor, person):
    request = deletion(actor, person)
    first = erase(request)
    events = AuditEvent.objects.count()

    second = erase(DataSubjectRequest.objects.get(pk=request.pk))

    assert first.pk == second.pk
    assert AuditEvent.objects.count() == events


def test_a_downstream_eraser_answer_is_in_the_receipt(actor, person):
    erasers.register_eraser(
        "downstream:slack",
        "Slack (SCIM)",
        lambda person, actor: {"status": 204},
        order=erasers.DOWNSTREAM,
    )
    try:
        erasure = erase(deletion(actor, person))
    finally:
        erasers.unregister_eraser("downstream:slack")

    step = erasure.steps.get(eraser="downstream:slack")
    assert (step.store, step.result) == ("Slack (SCIM)", {"status": 204})


def test_reapply_erasures_erases_a_person_a_restored_backup_brought_back(actor, person):
    erase(deletion(actor, person))
    # A restore writes rows straight into the database, past the services' ledger check.
    restored = PersonFactory.create(user_name="Quill.Ardent")
    PersonEmailFactory.create(person=restored, value="other@example.org")
    untouched = persons.person_create(actor=actor, fields={"user_name": "someone.else"})

    call_command("reapply_erasures", "--chunk-size", "1")

    assert Person.objects.get(pk=restored.pk).user_name.startswith("erased-")
    assert Person.objects.get(pk=untouched.pk).user_name == "someone.else"
    assert Erasure.objects.get(person=restored).reason == "restore"


def test_reapply_erasures_spares_a_colleague_who_shares_the_erased_persons_desk_phone(
    actor, person
):
    erase(deletion(actor, person))
    colleague = persons.person_create(
        actor=actor,
        fields={"user_name": "desk.mate", "given_name": "Desk"},
        phones=[persons.Contact("+44 20 7946 9931")],  # the erased person's desk phone
    )

    call_command("reapply_erasures", stdout=io.StringIO())

    assert Person.objects.get(pk=colleague.pk).user_name == "desk.mate"
    assert not Erasure.objects.filter(person=colleague).exists()


def test_reapply_erasures_reads_people_in_chunks(django_assert_max_num_queries):
    for _ in range(30):
        PersonEmailFactory()

    # Per chunk of 10: people, their e-mails, the ledger lookup.
    with django_assert_max_num_queries(3 * 3 + 1):
        call_command("reapply_erasures", "--chunk-size", "10", stdout=io.StringIO())


def test_erasure_tasks_are_acknowledged_late_and_retried_with_backoff():
    assert (dsar_erase.acks_late, dsar_erase.retry_backoff) == (True, True)
    assert (dsar_export.acks_late, dsar_export.retry_backoff) == (True, True)
