"""Subject keys are kept for one request (crypto.subject_keys_scope, which
SubjectKeysMiddleware opens around each): a request that records several events about a
person reads their key once. Nothing is kept outside a scope, and destroying a subject's
keys (an erasure) forgets them at once, so an erased subject's key survives in no cache."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.audit import crypto
from compliance.audit.services import Entry, events_record
from compliance.audit.vocabulary import Action

pytestmark = pytest.mark.django_db

SUBJECT = "5b0c1e0e-0000-4000-8000-000000000001"


def record(actor, subject=SUBJECT):
    entry = Entry(Action.PERSON_UPDATED, ("provisioning.person", subject), subject, {"n": 1})
    return events_record(actor=actor, entries=[entry])[0]


def key_reads(captured):
    return [q for q in captured if 'FROM "compliance_subjectkey"' in q["sql"]]


def test_within_a_scope_a_subjects_key_is_read_once(actor):
    record(actor)  # the key exists

    with crypto.subject_keys_scope(), CaptureQueriesContext(connections["keys"]) as captured:
        record(actor)
        record(actor)

    assert len(key_reads(captured)) == 1


def test_outside_a_scope_every_event_reads_the_key(actor):
    record(actor)

    with CaptureQueriesContext(connections["keys"]) as captured:
        record(actor)
        record(actor)

    assert len(key_reads(captured)) == 2


def test_a_key_made_in_a_scope_is_not_read_back(actor):
    with crypto.subject_keys_scope(), CaptureQueriesContext(connections["keys"]) as captured:
        first = record(actor)
        second = record(actor)

    assert [q["sql"].split()[0] for q in captured] == ["SELECT", "INSERT"]
    assert crypto.decrypt(SUBJECT, first.ciphertext) == {"n": 1}
    assert crypto.decrypt(SUBJECT, second.ciphertext) == {"n": 1}


def test_an_erased_subjects_key_does_not_survive_in_the_scope(actor):
    with crypto.subject_keys_scope():
        before = record(actor)
        assert crypto.destroy_subject_key(SUBJECT)

        after = record(actor)  # a new key, not the destroyed one kept in the cache

        assert crypto.decrypt(SUBJECT, before.ciphertext) is None
        assert crypto.decrypt(SUBJECT, after.ciphertext) == {"n": 1}
    crypto.destroy_subject_key(SUBJECT)
    assert crypto.decrypt(SUBJECT, after.ciphertext) is None


def test_keys_destroyed_by_age_are_forgotten_by_the_scope(actor, time_machine):
    time_machine.move_to("2026-01-15T12:00:00Z")
    with crypto.subject_keys_scope():
        old = record(actor)
        time_machine.move_to("2026-12-15T12:00:00Z")
        crypto.epoch_keys_destroy(before=crypto.epoch_start(timezone.now()), limit=10)

        assert crypto.decrypt(SUBJECT, old.ciphertext) is None
