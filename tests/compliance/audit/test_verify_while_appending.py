"""`audit_verify` and the daily beat check walk the chain as it stood when they began:
events appended by other writers while they stream are not a broken chain."""

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

from compliance import tasks
from compliance.audit import chain
from compliance.audit.models import AuditEvent
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.incidents.models import Incident

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

EXISTING = 30
WRITERS = 3
APPENDS_EACH = 4


def append(actor: Any, writer: int, count: int) -> None:
    try:
        for n in range(count):
            event_record(
                actor=actor, action=Action.PERSON_UPDATED, target=("tests.thing", f"{writer}.{n}")
            )
    finally:
        connections.close_all()


@pytest.fixture
def appends_mid_walk(actor, monkeypatch) -> Iterator[Callable[[], int]]:
    """Writers in their own threads (their own connections) append while the walk is
    under way: the first event hashed by the verifier starts them, and the walk goes on
    only once all of them have committed. Returns the number of events appended."""
    for n in range(EXISTING):
        event_record(actor=actor, action=Action.PERSON_UPDATED, target=("tests.thing", str(n)))
    hash_event = chain.event_hash
    started: list[threading.Thread] = []
    errors: list[BaseException] = []

    def run(writer: int) -> None:
        try:
            append(actor, writer, APPENDS_EACH)
        except BaseException as error:  # surfaced below: a writer's failure fails the test
            errors.append(error)

    def hash_while_others_append(values: dict[str, Any]) -> str:
        if not started:
            started.extend(threading.Thread(target=run, args=(w,)) for w in range(WRITERS))
            for thread in started:
                thread.start()
            for thread in started:
                thread.join(timeout=30)
        return hash_event(values)

    monkeypatch.setattr(chain, "event_hash", hash_while_others_append)
    yield lambda: len(started) * APPENDS_EACH
    assert errors == []


def test_audit_verify_counts_the_chain_as_it_stood_when_it_began(appends_mid_walk, capsys):
    call_command("audit_verify", "--chunk-size", "1")

    assert appends_mid_walk() == WRITERS * APPENDS_EACH
    assert AuditEvent.objects.count() == EXISTING + WRITERS * APPENDS_EACH
    assert capsys.readouterr().out.strip() == f"Audit chain intact: {EXISTING} events verified."


def test_the_daily_check_raises_no_incident_while_others_append(appends_mid_walk):
    result = tasks.verify_audit_chain()

    assert appends_mid_walk() == WRITERS * APPENDS_EACH
    assert Incident.objects.count() == 0
    assert result["verified"] == EXISTING


def test_a_tampered_event_is_still_found_while_others_append(appends_mid_walk, tamper):
    tamper(f"UPDATE {AuditEvent._meta.db_table} SET actor_label = 'x' WHERE sequence = 5")

    result = tasks.verify_audit_chain()

    assert Incident.objects.get().details["first_broken"] == 5
    assert result["first_broken"] == 5
