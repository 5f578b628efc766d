"""On PostgreSQL the database refuses to change or remove audit events, even by raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from compliance.audit.chain import verify
from compliance.audit.models import AuditEvent, ChainHead
from provisioning.services.persons import person_create

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

EVENTS = AuditEvent._meta.db_table


@pytest.fixture
def event(actor):
    person_create(actor=actor, fields={"user_name": "ada"})
    return AuditEvent.objects.get()


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_raw_update_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only: UPDATE"), transaction.atomic():
        raw(f"UPDATE {EVENTS} SET actor_label = 'mallory' WHERE id = %s", [event.pk])

    assert AuditEvent.objects.get().actor_label == event.actor_label


def test_a_raw_delete_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only: DELETE"), transaction.atomic():
        raw(f"DELETE FROM {EVENTS} WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_truncate_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"), transaction.atomic():
        raw(f"TRUNCATE {EVENTS}")

    assert AuditEvent.objects.exists()


def test_the_chain_head_stays_writable_so_events_keep_being_appended(event, actor):
    person_create(actor=actor, fields={"user_name": "grace"})

    assert ChainHead.objects.get().sequence == 2
    assert verify().verified == 2
