"""Subject keys are wrapped under a key-encryption key (KEK) from a keyring file outside
both databases; the KEK rotates, live keys are re-wrapped, and a retired KEK is destroyed
once the backup retention window has passed, so an old key-store backup unwraps nothing."""

import json
import stat
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone

from compliance.audit import crypto, keyring
from compliance.audit.models import AuditEvent, SubjectKey
from compliance.audit.services import event_record, keys_rotate
from compliance.audit.vocabulary import Action
from compliance.errors import KeyringError
from compliance.routers import KEY_STORE
from compliance.tasks import keys_rotate as keys_rotate_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_keyring(settings, tmp_path):
    """A keyring of the test's own, so rotating it touches no other test's keys."""
    settings.KEYRING_PATH = tmp_path / "keys" / "keyring.json"
    settings.KEY_ROTATION_DAYS = 30
    settings.BACKUP_RETENTION_DAYS = 35
    return settings.KEYRING_PATH


def record_details(actor, subjects):
    for subject in subjects:
        event_record(
            actor=actor,
            action=Action.PERSON_UPDATED,
            target=("provisioning.person", subject),
            subject_id=subject,
            personal={"title": f"Keeper of {subject}"},
        )


def key_of(subject):
    """The name of the subject's key for this quarter's audit details."""
    return f"{subject}{crypto.EPOCH_MARK}{crypto.epoch_of(timezone.now())}"


def details(subject):
    event = AuditEvent.objects.filter(subject_id=subject).latest("sequence")
    return crypto.decrypt(subject, event.ciphertext)


def test_a_subject_key_is_wrapped_under_the_current_kek_not_the_master_key(actor):
    record_details(actor, ["s-1"])

    stored = SubjectKey.objects.get(subject_id=key_of("s-1"))
    current = keyring.kek_current()
    assert stored.kek == current.id
    aes_key_unwrap(current.key, bytes(stored.wrapped_key))
    with pytest.raises(InvalidUnwrap):
        aes_key_unwrap(crypto.master_key(), bytes(stored.wrapped_key))


def test_the_keyring_file_holds_no_kek_in_clear_and_only_its_owner_reads_it(actor, own_keyring):
    record_details(actor, ["s-1"])
    current = keyring.kek_current()

    document = json.loads(own_keyring.read_text())
    assert [entry["id"] for entry in document["keks"]] == [current.id]
    assert current.key.hex() not in own_keyring.read_text()
    assert stat.S_IMODE(own_keyring.stat().st_mode) == 0o600


def test_rotation_rewraps_every_live_key_a_chunk_at_a_time_and_retires_the_old_kek(actor):
    record_details(actor, ["s-1", "s-2", "s-3"])
    old = keyring.kek_current()

    with time_machine.travel(timezone.now() + timedelta(days=30)):
        rotation = keys_rotate(actor=actor, chunk_size=2)

    assert (rotation.retired, rotation.rewrapped, rotation.destroyed) == (old.id, 3, [])
    assert set(SubjectKey.objects.values_list("kek", flat=True)) == {rotation.current}
    assert details("s-2") == {"title": "Keeper of s-2"}
    assert keyring.keks_retired() == [old.id]
    event = AuditEvent.objects.get(action=Action.AUDIT_KEYS_ROTATED)
    assert event.data == {"retired": old.id, "rewrapped": 3, "unreadable": 0}


def test_no_new_kek_before_key_rotation_days(actor):
    record_details(actor, ["s-1"])
    current = keyring.kek_current()

    with time_machine.travel(timezone.now() + timedelta(days=29)):
        rotation = keys_rotate(actor=actor)

    assert (rotation.current, rotation.retired) == (current.id, None)
    assert not AuditEvent.objects.filter(action=Action.AUDIT_KEYS_ROTATED).exists()


def test_after_the_retention_window_a_key_store_backup_unwraps_nothing(actor):
    record_details(actor, ["s-1", "s-2"])
    backup = list(SubjectKey.objects.values("subject_id", "wrapped_key", "kek"))
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=30)):
        keys_rotate(actor=actor)
    with time_machine.travel(start + timedelta(days=30 + 34)):
        assert keys_rotate(actor=actor).destroyed == []

    with time_machine.travel(start + timedelta(days=30 + 35)):
        rotation = keys_rotate(actor=actor)
    SubjectKey.objects.all().delete()
    SubjectKey.objects.bulk_create(SubjectKey(**row) for row in backup)  # the restore

    assert rotation.destroyed == [backup[0]["kek"]]
    assert SubjectKey.objects.filter(subject_id=key_of("s-1")).exists()  # restored, yet
    assert crypto.subject_keys([key_of("s-1"), key_of("s-2")]) == {}
    assert details("s-1") is None
    assert AuditEvent.objects.filter(action=Action.AUDIT_KEYS_DESTROYED).exists()


def test_within_the_retention_window_a_key_store_backup_still_restores(actor):
    record_details(actor, ["s-1"])
    backup = list(SubjectKey.objects.values("subject_id", "wrapped_key", "kek"))
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        keys_rotate(actor=actor)
    SubjectKey.objects.all().delete()
    SubjectKey.objects.bulk_create(SubjectKey(**row) for row in backup)

    assert details("s-1") == {"title": "Keeper of s-1"}


def test_keys_wrapped_under_the_master_key_before_the_keyring_still_read_and_are_rewrapped(
    actor,
):
    key = bytes(range(32))
    SubjectKey.objects.create(
        subject_id="legacy", wrapped_key=aes_key_wrap(crypto.master_key(), key), kek=""
    )
    assert crypto.subject_keys(["legacy"]) == {"legacy": key}

    rotation = keys_rotate(actor=actor)

    assert rotation.rewrapped == 1
    assert SubjectKey.objects.get(subject_id="legacy").kek == keyring.kek_current().id
    assert crypto.subject_keys(["legacy"]) == {"legacy": key}


def test_the_keyring_is_read_from_its_file_once_per_process_until_it_changes(actor):
    record_details(actor, ["s-1", "s-2"])
    keyring._READ.clear()

    with mock.patch.object(keyring, "_parse", wraps=keyring._parse) as parse:
        for _ in range(3):
            crypto.subject_keys([key_of("s-1"), key_of("s-2")])
        assert parse.call_count == 1
        with time_machine.travel(timezone.now() + timedelta(days=30)):
            keys_rotate(actor=actor)
        crypto.subject_keys([key_of("s-1"), key_of("s-2")])
        assert parse.call_count == 2


def test_reading_many_subjects_keys_under_several_keks_is_one_query(
    actor, django_assert_num_queries
):
    record_details(actor, [f"s-{number}" for number in range(10)])
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        keyring.kek_rotate(now=timezone.now(), every=timedelta(days=30))
    record_details(actor, [f"t-{number}" for number in range(10)])
    subjects = [f"{prefix}-{number}" for prefix in "st" for number in range(10)]

    with django_assert_num_queries(1, connection=connections[KEY_STORE]):
        keys = crypto.subject_keys([key_of(subject) for subject in subjects])

    assert len(keys) == 20


def test_a_keyring_sealed_under_another_master_key_is_one_clear_error(actor, settings):
    record_details(actor, ["s-1"])
    keyring._READ.clear()
    settings.AUDIT_MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    keyring.master_key.cache_clear()
    try:
        with pytest.raises(KeyringError, match="was not sealed with this AUDIT_MASTER_KEY"):
            keyring.kek_current()
    finally:
        keyring.master_key.cache_clear()


def test_beat_runs_the_rotation_job():
    entry = django_settings.CELERY_BEAT_SCHEDULE["compliance.keys_rotate"]

    assert entry["task"] == keys_rotate_task.name == "compliance.keys_rotate"
