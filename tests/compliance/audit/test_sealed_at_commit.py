"""The chain is sealed when a writer commits (scheme 2): writers do not queue on the chain
head for their transactions' length, the trail stays gapless and in commit order, and
events written under scheme 1 keep verifying beside the new ones."""

import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from compliance.audit.actor import Actor
from compliance.audit.chain import (
    CHAINED_FIELDS,
    CONTENT_FIELDS,
    GENESIS,
    canonical,
    content_digest,
    event_hash,
    link,
    verify,
)
from compliance.audit.models import AuditEvent, ChainHead
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action
from tests.compliance.audit.test_chain import PINNED_VALUES

EVENTS = AuditEvent._meta.db_table


def record(actor: Actor, name: str) -> AuditEvent:
    return event_record(actor=actor, action=Action.PERSON_UPDATED, target=("tests.thing", name))


def chain_of() -> list[tuple[int, str]]:
    return list(AuditEvent.objects.order_by("sequence").values_list("sequence", "target_id"))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_writer_holding_its_transaction_open_does_not_block_another(actor):
    recorded, finish = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                record(actor, "slow")
                recorded.set()
                assert finish.wait(timeout=30)
        except BaseException as error:  # surfaced below: a thread's failure fails the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert recorded.wait(timeout=30)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Before the seal moved to commit, this writer waited on the head until the
                # slow one committed: now it must not wait at all.
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            record(actor, "quick")
        assert chain_of() == [(1, "quick")]
    finally:
        finish.set()
        thread.join(timeout=30)

    assert errors == []
    assert chain_of() == [(1, "quick"), (2, "slow")]
    assert verify().ok
    assert verify().verified == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_event_reads_unsealed_inside_its_transaction_and_sealed_after(actor):
    with transaction.atomic():
        event = record(actor, "one")
        assert event.sequence is None
        assert AuditEvent.objects.values_list("sequence", "hash").get() == (None, None)

    sealed = AuditEvent.objects.get()
    assert (sealed.sequence, sealed.previous_hash, sealed.scheme) == (1, GENESIS, 2)
    assert sealed.digest == content_digest(AuditEvent.objects.values(*CHAINED_FIELDS).get())
    assert sealed.hash == link(GENESIS, 1, sealed.digest)
    assert ChainHead.objects.values_list("sequence", "hash").get() == (1, sealed.hash)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_gap(actor):
    def failing_change() -> None:
        with transaction.atomic():
            record(actor, "undone")
            raise RuntimeError("the change fails after its event was recorded")

    record(actor, "before")
    with pytest.raises(RuntimeError):
        failing_change()
    record(actor, "after")

    assert chain_of() == [(1, "before"), (2, "after")]
    assert verify().ok


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_caller_that_needs_the_sequence_gets_it_inside_its_transaction(actor):
    record(actor, "first")
    with transaction.atomic():
        unsealed = record(actor, "unsealed")
        entry = Entry(Action.PERSON_UPDATED, ("tests.thing", "sequenced"))
        (sequenced,) = events_record(actor=actor, entries=[entry], sequenced=True)
        assert unsealed.sequence is None
        assert sequenced.sequence == 3

    assert chain_of() == [(1, "first"), (2, "unsealed"), (3, "sequenced")]
    assert verify().ok


# --- Scheme 1 and scheme 2 in one chain ---------------------------------------------------


def scheme_one_events(count: int) -> None:
    """Events as the portal wrote them before the seal moved to commit, and their head."""
    previous = GENESIS
    for sequence in range(1, count + 1):
        values = PINNED_VALUES | {
            "sequence": sequence,
            "previous_hash": previous,
            "target_id": f"old{sequence}",
            "occurred_at": datetime(2026, 1, sequence, tzinfo=UTC),
        }
        previous = event_hash(values)
        AuditEvent.objects.create(**values, hash=previous, scheme=1)
    ChainHead.objects.update_or_create(pk=1, defaults={"sequence": count, "hash": previous})


@pytest.fixture
def mixed_chain(actor) -> int:
    scheme_one_events(3)
    for n in range(3):
        record(actor, f"new{n}")
    return 6


@pytest.mark.django_db
def test_old_and_new_events_verify_in_one_chain(mixed_chain, capsys):
    schemes = list(AuditEvent.objects.order_by("sequence").values_list("scheme", flat=True))
    assert schemes == [1, 1, 1, 2, 2, 2]
    new = AuditEvent.objects.get(sequence=4)
    assert new.previous_hash == AuditEvent.objects.get(sequence=3).hash

    call_command("audit_verify")

    assert verify().verified == mixed_chain
    assert "6" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("sequence", [2, 5])
def test_altering_an_event_breaks_the_chain_under_either_scheme(mixed_chain, tamper, sequence):
    tamper(f"UPDATE {EVENTS} SET actor_label = 'mallory' WHERE sequence = %s", [sequence])

    result = verify()

    assert (result.first_broken, result.reason) == (
        sequence,
        "its content does not match its hash",
    )


@pytest.mark.django_db
def test_a_new_event_with_its_digest_recomputed_still_breaks(mixed_chain, tamper):
    forged = AuditEvent.objects.filter(sequence=5).values(*CHAINED_FIELDS).get()
    forged["actor_label"] = "mallory"
    tamper(
        f"UPDATE {EVENTS} SET actor_label = %s, digest = %s WHERE sequence = 5",
        ["mallory", content_digest(forged)],
    )

    assert verify().first_broken == 5


@pytest.mark.django_db
def test_a_new_event_rehashed_under_the_old_scheme_breaks(mixed_chain, tamper):
    forged = AuditEvent.objects.filter(sequence=6).values(*CHAINED_FIELDS).get()
    forged |= {"actor_label": "mallory", "scheme": 1}
    tamper(
        f"UPDATE {EVENTS} SET actor_label = %s, scheme = 1, hash = %s WHERE sequence = 6",
        ["mallory", event_hash(forged)],
    )

    result = verify()

    assert (result.first_broken, result.reason) == (6, "chained under an older scheme")


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_past_the_seal_is_a_broken_chain(actor):
    record(actor, "sealed")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER auditevent_seal")
        try:
            record(actor, "outside")
        finally:
            cursor.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER auditevent_seal")

    result = verify()

    assert (result.first_broken, result.reason) == (2, "event recorded outside the chain")


# One event's content and the digest and link scheme 2 gave them when this test was written.
# The seal trigger makes the same link in SQL; chains verify only while these stay the same.
PINNED_CONTENT = (
    b'{"action":"person.created","actor_id":"42","actor_kind":"staff",'
    b'"actor_label":"hr.alice","channel":"admin","ciphertext":"bm9uY2U=",'
    b'"client_address":"192.0.2.7","data":{"fields":["given_name","title"],"rows":3},'
    b'"occurred_at":"2026-01-02T03:04:05.678901+00:00","outcome":"success",'
    b'"request_id":"req-1","scheme":2,"subject_id":"0f0e","target_id":"0f0e",'
    b'"target_type":"provisioning.person"}'
)
PINNED_DIGEST = "f152ccd3ba0a140b114e231533bf346c8097c1e02617c5d5616c9825a1ac77d1"
PINNED_LINK = "8bc343e03cd6ea6e963b402a4259d519b4f1f1354d43e48e25c251100d5a9a24"


def test_the_digest_and_link_of_an_event_are_unchanged():
    values = PINNED_VALUES | {"scheme": 2}

    assert canonical(values, CONTENT_FIELDS) == PINNED_CONTENT
    assert content_digest(values) == PINNED_DIGEST
    assert link("a" * 64, 7, PINNED_DIGEST) == PINNED_LINK
    assert event_hash(values) == PINNED_LINK


def unsealed_index_reads() -> int:
    """How many entries scans of the unsealed events' index have read, all sessions."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT idx_tup_read FROM pg_stat_user_indexes"
            " WHERE indexrelname = 'auditevent_unsealed_idx'"
        )
        (reads,) = cursor.fetchone()
    return int(reads)


def record_and_report(actor: Actor, name: str) -> None:
    """An event in a transaction of its own, whose statistics reach the shared ones when it
    commits (the seal's scan among them)."""
    with transaction.atomic():
        record(actor, name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_seal_reads_its_own_events_not_every_event_sealed_before(actor):
    # Each seal updates its events: every event sealed so far leaves a dead entry in the
    # index of unsealed events until a vacuum, and a scan of the whole index visited them
    # all at every commit, a cost growing with the trail. Made to plan as it did there
    # (a bitmap scan, which leaves dead entries unmarked: a plain index scan marks them
    # and then skips them), not reading a table this small from end to end.
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
    for number in range(200):
        record(actor, f"earlier {number}")
    record_and_report(actor, "flushing the earlier ones' statistics")
    before = unsealed_index_reads()

    record_and_report(actor, "the one measured")

    assert unsealed_index_reads() - before < 10
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    assert verify().ok
