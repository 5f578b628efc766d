"""The downstream application down for a while, then back, with a real worker process and
its configured retries: a push retries while it is down and is delivered once it is back;
a push whose retries run out while it stays down is dead-lettered, after exactly the
configured attempts and not before."""

from collections.abc import Callable

import pytest

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from compliance.outbox.models import OutboxMessage
from compliance.outbox.queue import outbox_send
from provisioning.connectors.models import DownstreamAccount
from provisioning.connectors.tasks import push_person
from tests.brokers import broker_app, wait_for
from tests.factories import PersonEmailFactory

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

RETRIES = 6  # attempts = RETRIES + 1
WORKER = {
    "OUTBOUND_MAX_RETRIES": str(RETRIES),
    "OUTBOUND_RETRY_BACKOFF_SECONDS": "1",
    "OUTBOUND_RETRY_BACKOFF_MAX_SECONDS": "2",
}
Status = DownstreamAccount.Status


def account_of(person) -> Callable[[], DownstreamAccount | None]:
    return lambda: DownstreamAccount.objects.filter(person_id=person.pk).first()


def test_pushes_retry_while_the_downstream_is_down_and_dead_letter_only_after_every_attempt(
    connector, running_server, downstream, broker, worker_processes
):
    back, stays_down = PersonEmailFactory().person, PersonEmailFactory().person
    broker.start()
    with broker_app(broker.url):
        worker_processes(broker.url, **WORKER).start()

        # Down for a while: the push fails, is retried, and is delivered once it is back.
        running_server.stop()
        outbox_send(push_person, str(connector.pk), str(back.pk), topic="connector")
        wait_for(
            lambda: getattr(account_of(back)(), "status", None) == Status.RETRYING,
            30,
            "a failed attempt, to be retried",
        )
        running_server.start()
        wait_for(
            lambda: getattr(account_of(back)(), "status", None) == Status.HEALTHY,
            30,
            "delivered once the downstream is back",
        )
        (user,) = downstream.users(f'userName eq "{back.user_name}"')
        assert user["id"] == account_of(back)().downstream_id

        # Down for longer than the retries last: dead-lettered after the last attempt.
        running_server.stop()
        outbox_send(push_person, str(connector.pk), str(stays_down.pk), topic="connector")
        seen: list[tuple[str, int]] = []

        def dead_lettered() -> bool:
            account = account_of(stays_down)()
            if account is not None:
                seen.append((account.status, account.attempts))
            return account is not None and account.status == Status.DEAD_LETTERED

        wait_for(dead_lettered, 60, "dead-lettered once the retries ran out")
        wait_for(
            lambda: not OutboxMessage.objects.filter(delivered_at=None).exists(),
            15,
            "both messages done",
        )
    running_server.start()  # empty again (it keeps users in memory), for the next test

    dead = DownstreamAccount.objects.get(person_id=stays_down.pk)
    assert dead.attempts == RETRIES + 1
    assert all(s == Status.RETRYING for s, n in seen if n < RETRIES + 1)
    assert "ConnectError" in dead.last_error
    events = AuditEvent.objects.filter(subject_id=str(stays_down.pk))
    assert events.filter(action=Action.PUSH_FAILED).count() == RETRIES
    assert events.filter(action=Action.PUSH_DEAD_LETTERED).count() == 1
    delivered = DownstreamAccount.objects.get(person_id=back.pk)
    assert (delivered.attempts, delivered.last_error) == (0, "")
    assert (
        AuditEvent.objects.filter(subject_id=str(back.pk), action=Action.PUSH_SUCCEEDED).count()
        == 1
    )
