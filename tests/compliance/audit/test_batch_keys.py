"""Recording a batch of events with personal details costs the key store one read, and
one insert for the subjects it has not seen, whatever the batch's size."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.audit import crypto
from compliance.audit.chain import verify
from compliance.audit.models import SubjectKey
from compliance.audit.services import Entry, events_record
from compliance.audit.vocabulary import Action

pytestmark = pytest.mark.django_db


def record(actor, subjects):
    entries = [
        Entry(Action.PERSON_UPDATED, ("provisioning.person", s), s, personal={"name": s})
        for s in subjects
    ]
    with CaptureQueriesContext(connections["keys"]) as captured:
        events = events_record(actor=actor, entries=entries)
    return events, [q["sql"].split()[0] for q in captured]


def test_known_subjects_cost_one_key_store_read(actor):
    subjects = [f"subject-{n}" for n in range(5)]
    record(actor, subjects)

    events, queries = record(actor, subjects * 2)

    assert queries == ["SELECT"]
    assert all(crypto.decrypt(e.subject_id, e.ciphertext) for e in events)


def test_new_subjects_cost_one_read_and_one_insert(actor):
    events, queries = record(actor, [f"new-{n}" for n in range(5)])

    assert queries == ["SELECT", "INSERT"]
    assert [crypto.decrypt(e.subject_id, e.ciphertext) for e in events] == [
        {"name": f"new-{n}"} for n in range(5)
    ]
    assert verify().ok


def test_a_subject_seen_twice_in_one_batch_gets_one_key(actor):
    record(actor, ["twice", "twice"])

    epoch = crypto.epoch_of(timezone.now())
    assert list(SubjectKey.objects.values_list("subject_id", flat=True)) == [f"twice@{epoch}"]
