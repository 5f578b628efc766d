"""Parallel writers on PostgreSQL queue on the chain head: the chain never forks."""

import threading

import pytest
from django.db import connections

from compliance.audit.chain import GENESIS, verify
from compliance.audit.models import AuditEvent, ChainHead
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action
from provisioning.services.persons import person_create

WRITERS = 8
ROUNDS = 5
EVENTS_PER_ROUND = 1 + 1 + 3  # a person created, one event, a batch of three


def write(actor, writer, start):
    """One writer: its own thread and so its own database connections."""
    try:
        start.wait(timeout=10)
        for round_ in range(ROUNDS):
            person = person_create(actor=actor, fields={"user_name": f"w{writer}r{round_}"})
            event_record(actor=actor, action=Action.PERSON_UPDATED, target=person)
            events_record(
                actor=actor,
                entries=[
                    Entry(
                        Action.GROUP_MEMBERS_ADDED, ("provisioning.group", str(n)), str(person.pk)
                    )
                    for n in range(3)
                ],
            )
    finally:
        connections.close_all()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_extend_one_unbroken_chain(actor):
    start = threading.Barrier(WRITERS)
    errors = []

    def run(writer):
        try:
            write(actor, writer, start)
        except Exception as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    total = WRITERS * ROUNDS * EVENTS_PER_ROUND
    chain = list(
        AuditEvent.objects.order_by("sequence").values_list("sequence", "previous_hash", "hash")
    )
    assert [sequence for sequence, _, _ in chain] == list(range(1, total + 1))
    previous = [GENESIS] + [hash_ for _, _, hash_ in chain[:-1]]
    assert [previous_hash for _, previous_hash, _ in chain] == previous
    assert ChainHead.objects.values_list("sequence", "hash").get() == (total, chain[-1][2])
    assert verify().ok
    assert verify().verified == total
