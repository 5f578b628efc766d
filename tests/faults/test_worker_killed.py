"""A real worker process killed with SIGKILL in the middle of a downstream call: during an
erasure, and during a batch of pushes. A new worker finishes the work exactly once: every
erasure step once, the downstream account deleted once, the receipt written once; every
push delivered once, one account per person downstream."""

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from compliance.dsar import erasers, services
from compliance.dsar.erasure import receipt_path
from compliance.dsar.models import Erasure, Status
from compliance.dsar.tasks import dsar_erase, dsar_requeue_stalled
from compliance.outbox.models import OutboxMessage
from compliance.outbox.queue import Message, outbox_put
from compliance.outbox.relay import outbox_sweep
from provisioning.connectors.models import DownstreamAccount
from provisioning.connectors.tasks import push_person
from provisioning.models import Person
from tests.brokers import broker_app, wait_for
from tests.factories import PersonEmailFactory
from tests.faults.gate import Gate, gate_before
from tests.provisioning.connectors.conftest import make_connector

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

# Short enough for a scenario, as production sets them in minutes: the worker's lease on a
# message lapses 4 s after its heartbeat stops.
LEASE = {"OUTBOX_LEASE_SECONDS": "4"}
# The broker hands an unacknowledged message back after this long (production: 30 min).
VISIBILITY_SECONDS = 5


@pytest.fixture
def gate(running_server) -> Iterator[Gate]:
    with gate_before(running_server.url) as gate:
        yield gate


@pytest.fixture
def gated_connector(gate, actor):
    """Slack, reached through the gate."""
    return make_connector(gate, actor)  # anything with a .url


def open_messages() -> int:
    return OutboxMessage.objects.filter(delivered_at=None).count()


@pytest.mark.parametrize(
    "requeue",
    ["the broker hands it back", "the stalled-request job queues it again"],
)
def test_an_erasure_whose_worker_is_killed_mid_step_finishes_exactly_once(
    requeue, gate, gated_connector, downstream, broker, worker_processes, actor, settings
):
    person = PersonEmailFactory().person
    push_person(str(gated_connector.pk), str(person.pk))  # an account downstream to delete
    account = DownstreamAccount.objects.get(person_id=person.pk)
    request = services.request_verify(
        actor=actor,
        request=services.request_receive(
            actor=actor, regulation="gdpr", type="deletion", person=person
        ),
        method="hr-record",
    )
    by_broker = requeue == "the broker hands it back"
    visibility = str(VISIBILITY_SECONDS) if by_broker else "3600"
    worker_settings = {**LEASE, "BROKER_VISIBILITY_TIMEOUT_SECONDS": visibility}
    broker.start()
    with broker_app(broker.url):
        gate.hold("DELETE")
        first = worker_processes(broker.url, **worker_settings)
        services.request_run(actor=actor, request=request, task=dsar_erase)
        first.start()
        assert gate.arrived.wait(60), "the erasure never reached the downstream step"
        first.kill()
        gate.let_go(drop=True)  # the downstream never saw that DELETE
        request.refresh_from_db()
        assert request.status == Status.RUNNING
        steps_before = Erasure.objects.get(request=request).steps.count()
        assert 0 < steps_before < len(erasers.registered())

        if by_broker:
            # kombu looks for messages whose visibility has lapsed when a worker starts,
            # then only every 100 s (unacked_restore_interval x throttle): the new worker
            # starts once the killed one's message is visible again.
            time.sleep(VISIBILITY_SECONDS + 1)
        else:
            settings.DSAR_STALLED_MINUTES = 0.1  # 6 s without a heartbeat
            wait_for(lambda: dsar_requeue_stalled() == [str(request.pk)], 30, "requeued")
        worker_processes(broker.url, **worker_settings).start()
        wait_for(
            lambda: (
                Person.objects.filter(pk=person.pk, active=False).exists()
                and _status(request) == Status.READY
                and open_messages() == 0
            ),
            60,
            "the erasure finished and every message delivered",
        )

    erasure = Erasure.objects.get(request=request)
    stores = list(
        AuditEvent.objects.filter(action="dsar.erased", target_id=str(erasure.pk)).values_list(
            "data__store", flat=True
        )
    )
    assert sorted(stores) == sorted({e.name for e in erasers.registered()})  # each once
    assert erasure.steps.count() == len(erasers.registered())
    assert gate.forwarded_to("DELETE", account.downstream_id) == 1
    assert downstream.users(f'userName eq "{person.user_name}"') == []
    receipt = json.loads(Path(receipt_path(erasure)).read_text())
    (downstream_step,) = [s for s in receipt["steps"] if s["eraser"] == "downstream"]
    assert [d["outcome"] for d in downstream_step["result"]["downstream"]] == ["deleted"]
    assert OutboxMessage.objects.filter(task=dsar_erase.name).count() == 1


def _leased() -> bool:
    return OutboxMessage.objects.filter(claimed_until__gte=timezone.now()).exists()


def _status(request) -> str:
    request.refresh_from_db(fields=["status"])
    return str(request.status)


PUSHES = 5


def test_a_push_batch_whose_worker_is_killed_is_delivered_once_each(
    gate, gated_connector, downstream, broker, worker_processes
):
    people = [PersonEmailFactory().person for _ in range(PUSHES)]
    broker.start()
    with broker_app(broker.url):
        outbox_put(
            Message(push_person, (str(gated_connector.pk), str(p.pk)), "connector") for p in people
        )
        # A create is done downstream, and the worker killed before it hears so.
        gate.hold("POST", before=False)
        first = worker_processes(broker.url, **LEASE)
        first.start()
        assert gate.arrived.wait(60), "no push reached the downstream"
        first.kill()
        gate.let_go(drop=True)
        assert open_messages() > 0
        # Once the killed run's lease lapses (its heartbeat died with it), the sweep hands
        # over again everything not yet done: the broker now holds two copies of those,
        # and the killed one's first copy stays unacknowledged.
        wait_for(lambda: not _leased(), 15, "the killed run's lease lapsed")
        outbox_sweep(redeliver_after=timedelta(0), keep=timedelta(days=1), grace=timedelta(0))
        worker_processes(broker.url, **LEASE).start()
        wait_for(lambda: open_messages() == 0, 60, "every push delivered")
        wait_for(lambda: broker.queued() == 0, 30, "the copies skipped")

    pushed = Counter(
        AuditEvent.objects.filter(action=Action.PUSH_SUCCEEDED).values_list("subject_id", flat=True)
    )
    assert pushed == {str(p.pk): 1 for p in people}  # each push carried out once
    for person in people:
        (user,) = downstream.users(f'userName eq "{person.user_name}"')  # one account each
        account = DownstreamAccount.objects.get(person_id=person.pk)
        assert (account.downstream_id, account.status) == (user["id"], "healthy")
    assert sum(n for (method, _), n in gate.forwarded.items() if method == "POST") == PUSHES
