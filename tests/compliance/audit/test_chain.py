from datetime import UTC, datetime

import pytest

from compliance.audit import crypto
from compliance.audit.chain import GENESIS, canonical, event_hash, verify
from compliance.audit.models import AppendOnlyError, AuditEvent
from provisioning.services.persons import person_create, person_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(actor):
    person = person_create(actor=actor, fields={"user_name": "ada", "given_name": "Ada"})
    person_update(person=person, actor=actor, fields={"title": "Lead"})
    return person


def test_each_event_follows_the_one_before(person):
    first, second = AuditEvent.objects.order_by("sequence")

    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.hash
    assert verify().ok
    assert verify().verified == 2


def test_altering_a_row_breaks_the_chain_at_that_event(person, tamper):
    event = AuditEvent.objects.get(sequence=2)
    tamper(
        f"UPDATE {AuditEvent._meta.db_table} SET actor_label = 'mallory' WHERE id = %s",
        [event.pk],
    )

    result = verify()

    assert not result.ok
    assert result.first_broken == 2


def test_the_model_refuses_changes_and_deletes(person):
    event = AuditEvent.objects.first()
    assert event is not None

    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(actor_label="x")


def test_destroying_the_subject_key_hides_details_and_the_chain_still_verifies(person):
    event = AuditEvent.objects.get(sequence=1)
    assert crypto.decrypt(event.subject_id, event.ciphertext)

    assert crypto.destroy_subject_key(str(person.pk))

    assert crypto.decrypt(event.subject_id, event.ciphertext) is None
    assert verify().ok


# One event's values and the bytes and hash the chain gave them when this test was written.
# Chains already written verify only while the hash input stays byte for byte the same.
PINNED_VALUES = {
    "sequence": 7,
    "occurred_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    "actor_kind": "staff",
    "actor_id": "42",
    "actor_label": "hr.alice",
    "channel": "admin",
    "action": "person.created",
    "target_type": "provisioning.person",
    "target_id": "0f0e",
    "subject_id": "0f0e",
    "data": {"fields": ["given_name", "title"], "rows": 3},
    "ciphertext": "bm9uY2U=",
    "request_id": "req-1",
    "client_address": "192.0.2.7",
    "outcome": "success",
    "previous_hash": "a" * 64,
}
PINNED_CANONICAL = (
    b'{"action":"person.created","actor_id":"42","actor_kind":"staff",'
    b'"actor_label":"hr.alice","channel":"admin","ciphertext":"bm9uY2U=",'
    b'"client_address":"192.0.2.7","data":{"fields":["given_name","title"],"rows":3},'
    b'"occurred_at":"2026-01-02T03:04:05.678901+00:00","outcome":"success",'
    b'"previous_hash":"' + b"a" * 64 + b'","request_id":"req-1","sequence":7,'
    b'"subject_id":"0f0e","target_id":"0f0e","target_type":"provisioning.person"}'
)
PINNED_HASH = "340af6f70dc55e096834ad138dc7b657bb60479a88d7be9dd99dc191a39f2626"


def test_the_hash_input_of_an_event_is_unchanged():
    assert canonical(PINNED_VALUES) == PINNED_CANONICAL
    assert event_hash(PINNED_VALUES) == PINNED_HASH
