"""With the task broker unreachable, an admin leaver and a SCIM write still succeed and
their pushes wait in the outbox; once the broker is back the sweep hands them over and a
real worker delivers each exactly once to a real downstream (scim2-server)."""

import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from compliance.outbox.models import OutboxMessage
from compliance.outbox.relay import outbox_sweep
from portal import roles
from provisioning.connectors.models import DownstreamAccount
from provisioning.connectors.tasks import push_person
from provisioning.models import Person
from provisioning.services import persons
from provisioning.services.scim_clients import scim_client_create, scim_token_issue
from tests.brokers import broker_app, wait_for, worker_thread
from tests.factories import PersonFactory
from tests.provisioning.connectors.conftest import Downstream
from tests.provisioning.scim.conftest import USER_SCHEMA, ScimBrowser

# A broker and a worker of its own, stopped and started: a fault scenario (`pytest -m faults`).
pytestmark = [pytest.mark.faults, pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
HOUR = timedelta(hours=1)


def scim_browser(actor) -> ScimBrowser:
    client = scim_client_create(actor=actor, name="Entra ID", profile="directory", mode="strict")
    return ScimBrowser(scim_token_issue(client=client, actor=actor).secret, client)


def test_pushes_promised_while_the_broker_is_down_are_delivered_once_it_is_back(
    connector, downstream: Downstream, broker, deliveries, actor, staff_client_for
):
    leaver = PersonFactory(user_name="leaver@example.org")
    push_person(str(connector.pk), str(leaver.pk))  # an account downstream, active
    account = DownstreamAccount.objects.get(person_id=leaver.pk)
    deliveries.clear()
    hr, _ = staff_client_for(roles.HR)
    scim = scim_browser(actor)

    with broker_app(broker.url) as app:
        offboarded = hr.post(
            reverse("admin:provisioning_person_changelist"),
            {
                "action": "offboard",
                "_selected_action": [leaver.pk],
                "reason": "resigned",
                "confirm_now": "on",
            },
        )
        created = scim.post(
            "Users", {"schemas": [USER_SCHEMA], "userName": "hire@example.org", "active": True}
        )

        assert offboarded.status_code == 302
        assert created.status_code == 201
        assert not Person.objects.get(pk=leaver.pk).active
        waiting = list(OutboxMessage.objects.filter(sent_at__isnull=True))
        hire = Person.objects.get(user_name="hire@example.org")
        assert {tuple(m.args) for m in waiting} == {
            (str(connector.pk), str(leaver.pk)),
            (str(connector.pk), str(hire.pk)),
        }
        assert all(m.attempts == 1 and "Connection refused" in m.last_error for m in waiting)
        assert downstream.user(account.downstream_id)["active"] is True  # not yet

        broker.start()
        swept = outbox_sweep(redeliver_after=HOUR, keep=HOUR, grace=timedelta(0))
        assert swept.sent == len(waiting)
        assert broker.queued() == len(waiting)

        with worker_thread(app):
            wait_for(
                lambda: not OutboxMessage.objects.filter(delivered_at=None).exists(),
                60,
                "every message delivered",
            )
            # The broker hands every message over once more: nothing is done twice.
            for message in waiting:
                app.tasks[message.task].apply_async(args=message.args, task_id=str(message.pk))
            wait_for(lambda: broker.queued() == 0, 30, "the repeats consumed")
            time.sleep(0.5)  # the last one finishing

    assert sorted(deliveries.values()) == [1] * len(waiting)
    assert deliveries[(str(connector.pk), str(leaver.pk))] == 1
    assert downstream.user(account.downstream_id)["active"] is False
    assert downstream.users('userName eq "hire@example.org"')


def test_the_sweep_command_fails_in_one_line_while_the_broker_is_down(
    connector, broker, actor, capsys
):
    with broker_app(broker.url):
        persons.person_create(actor=actor, fields={"user_name": "hire@example.org"})
        OutboxMessage.objects.update(created_at=timezone.now() - HOUR)

        with pytest.raises(CommandError, match="The broker is not answering: OperationalError"):
            call_command("outbox_sweep")

    assert OutboxMessage.objects.get().sent_at is None
