"""One run at a time per outbox message: a copy handed to a worker while another run holds
the message's lease waits for it to lapse; a lease whose worker died is taken over; the
sweep leaves a leased message alone; a requeue reuses the open message."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from compliance.outbox.models import OutboxMessage
from compliance.outbox.queue import outbox_send
from compliance.outbox.relay import outbox_sweep
from provisioning.connectors import sync
from provisioning.connectors.tasks import push_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    done: list[tuple[Any, Any]] = []
    monkeypatch.setattr(
        sync, "person_push", lambda **ids: done.append((ids["connector_id"], ids["person_id"]))
    )
    return done


@pytest.fixture
def sent_back(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the task sends again instead of running."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(push_person, "apply_async", lambda *a, **options: calls.append(options))
    return calls


def message() -> OutboxMessage:
    return outbox_send(push_person, str(uuid.uuid4()), str(uuid.uuid4()), topic="connector")


def run_on_a_worker(row: OutboxMessage) -> Any:
    """As a worker runs what the relay handed over: the task id is the row's id."""
    push_person.push_request(id=str(row.pk), is_eager=False)
    try:
        return push_person(*row.args)
    finally:
        push_person.pop_request()


def leased_elsewhere(row: OutboxMessage, *, seconds: float) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(
        sent_at=timezone.now(),
        claim="other-host:1:abc",
        claimed_until=timezone.now() + timedelta(seconds=seconds),
    )


def test_a_copy_handed_over_while_another_run_holds_the_lease_waits_for_it(pushes, sent_back):
    row = message()
    leased_elsewhere(row, seconds=30)

    assert run_on_a_worker(row) is None

    assert pushes == []  # not run beside the other
    (options,) = sent_back
    assert options["task_id"] == str(row.pk)
    assert 29 <= options["countdown"] <= 31  # back once the lease could have lapsed
    row.refresh_from_db()
    assert (row.delivered_at, row.claim) == (None, "other-host:1:abc")


def test_a_lease_whose_worker_died_is_taken_over(pushes, sent_back):
    row = message()
    leased_elsewhere(row, seconds=-1)  # its heartbeat stopped a while ago

    run_on_a_worker(row)

    assert len(pushes) == 1
    assert sent_back == []
    row.refresh_from_db()
    assert row.delivered_at is not None
    assert row.claimed_until is None


def test_the_sweep_does_not_hand_over_again_a_message_whose_lease_is_live():
    running, dead = message(), message()
    leased_elsewhere(running, seconds=30)
    leased_elsewhere(dead, seconds=-1)

    swept = outbox_sweep(redeliver_after=timedelta(0), keep=timedelta(days=1), grace=timedelta(0))

    assert swept.redelivered == 1
    running.refresh_from_db()
    assert running.sent_at is not None  # left to its run


def test_sending_once_reuses_the_open_message():
    first = outbox_send(push_person, "a", "b", once=True)
    OutboxMessage.objects.filter(pk=first.pk).update(sent_at=timezone.now())

    again = outbox_send(push_person, "a", "b", once=True)

    assert again.pk == first.pk
    assert OutboxMessage.objects.get().sent_at is None  # to be handed over again
    OutboxMessage.objects.filter(pk=first.pk).update(delivered_at=timezone.now())
    assert outbox_send(push_person, "a", "b", once=True).pk != first.pk
