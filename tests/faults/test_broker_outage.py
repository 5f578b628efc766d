"""The broker stops in the middle of SCIM writes and an admin leaver, losing what it held
(no persistence), and comes back. Every acknowledged change reaches the downstream after
recovery, each exactly once: the count of changes equals the count of deliveries."""

from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse

from compliance.outbox.models import OutboxMessage
from compliance.outbox.relay import outbox_sweep
from portal import roles
from provisioning.models import Person
from provisioning.services.scim_clients import scim_client_create, scim_token_issue
from tests.brokers import broker_app, wait_for, worker_thread
from tests.provisioning.scim.conftest import USER_SCHEMA, ScimBrowser

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

PER_PHASE = 4


def test_every_acknowledged_change_is_delivered_once_after_the_broker_comes_back(
    connector, downstream, broker, deliveries, actor, staff_client_for
):
    client = scim_client_create(actor=actor, name="Entra ID", profile="directory", mode="strict")
    scim = ScimBrowser(scim_token_issue(client=client, actor=actor).secret, client)
    hr, _ = staff_client_for(roles.HR)
    acknowledged: list[str] = []

    def writes(phase: str, count: int) -> None:
        for n in range(count):
            name = f"{phase}{n}@example.org"
            response = scim.post(
                "Users", {"schemas": [USER_SCHEMA], "userName": name, "active": True}
            )
            if response.status_code == 201:
                acknowledged.append(name)

    def all_delivered() -> bool:
        return not OutboxMessage.objects.filter(delivered_at=None).exists()

    broker.start()
    with broker_app(broker.url) as app:
        # Up, with a worker: delivered as they come.
        with worker_thread(app):
            writes("up", PER_PHASE)
            wait_for(all_delivered, 60, "the first writes delivered")
        # Up, no worker: handed over, waiting in the broker's queue...
        writes("queued", 2)
        assert broker.queued() == 2
        # ...which it loses as it stops. Writes and a leaver go on while it is down.
        broker.stop()
        writes("down", PER_PHASE)
        leaver = Person.objects.get(user_name="up0@example.org")
        offboarded = hr.post(
            reverse("admin:provisioning_person_changelist"),
            {
                "action": "offboard",
                "_selected_action": [leaver.pk],
                "reason": "resigned",
                "confirm_now": "on",
            },
        )
        assert offboarded.status_code == 302
        # Back, empty.
        broker.start()
        writes("back", PER_PHASE)
        # The sweep hands over what never reached the broker and, again, what it lost
        # (handed over, never done); the consumer skips whatever it already did.
        outbox_sweep(redeliver_after=timedelta(0), keep=timedelta(days=1), grace=timedelta(0))
        with worker_thread(app):
            wait_for(all_delivered, 120, "every outbox message delivered")
            wait_for(lambda: broker.queued() == 0, 60, "the repeats skipped")

    assert len(acknowledged) == 3 * PER_PHASE + 2
    people = dict(Person.objects.filter(user_name__in=acknowledged).values_list("user_name", "pk"))
    expected = Counter({(str(connector.pk), str(pk)): 1 for pk in people.values()})
    expected[(str(connector.pk), str(leaver.pk))] += 1  # created, then left
    assert OutboxMessage.objects.count() == sum(expected.values())
    assert deliveries == expected  # every change delivered, none twice
    for name in acknowledged:
        (user,) = downstream.users(f'userName eq "{name}"')
        assert user["active"] is (name != "up0@example.org")
