"""The outbox: promised side effects are rows written with the change, handed to Celery on
commit or by the sweep, and done once whatever the number of hand-overs."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from compliance import tasks as compliance_tasks
from compliance.outbox.mail import email_deliver
from compliance.outbox.models import OutboxMessage
from compliance.outbox.queue import outbox_send
from portal import roles
from provisioning import tasks as provisioning_tasks
from provisioning.connectors import services as connector_services
from provisioning.connectors.models import Connector
from provisioning.connectors.tasks import push_person
from provisioning.emails import email_send
from provisioning.services.persons import person_update
from tests.factories import ApplicationFactory, PersonFactory

pytestmark = pytest.mark.django_db

SECRET_LINK = "https://portal.example.org/approvals/one-time-token-s3cr3t/"


@pytest.fixture
def templates(tmp_path, settings):
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "link.subject.txt").write_text("Decide for {{ name }}\n")
    (folder / "link.txt").write_text("Hi, decide at {{ link }}")
    (folder / "link.html").write_text('<a href="{{ link }}">decide</a>')
    settings.TEMPLATES = [
        {**engine, "DIRS": [tmp_path, *engine["DIRS"]]} for engine in settings.TEMPLATES
    ]


def send_link() -> None:
    email_send(
        to=["approver@example.org"], template="link", context={"name": "Ada", "link": SECRET_LINK}
    )


@pytest.fixture
def slack(actor):
    """An enabled connector; its pushes are never run here (nothing listens on port 9)."""
    return connector_services.connector_create(
        actor=actor,
        connector=Connector(
            application_id=ApplicationFactory(name="Slack").pk,
            base_url="http://127.0.0.1:9/scim/v2",
            attributes=["userName"],
            scope=Connector.Scope.EVERYONE,
        ),
        secret="not-used",
    )


def test_a_change_writes_its_pushes_to_the_outbox_in_its_own_transaction(
    slack, actor, django_capture_on_commit_callbacks
):
    person = PersonFactory()

    with django_capture_on_commit_callbacks():  # not committed: nothing handed over yet
        person_update(person=person, actor=actor, fields={"title": "Team Lead"})

    message = OutboxMessage.objects.get()
    assert (message.task, message.args) == (push_person.name, [str(slack.pk), str(person.pk)])
    assert message.topic == f"connector:{slack.pk}"
    assert message.sent_at is None


def test_a_rolled_back_change_leaves_no_outbox_message(slack, actor):
    person = PersonFactory()

    def change_then_fail() -> None:
        with transaction.atomic():
            person_update(person=person, actor=actor, fields={"title": "Team Lead"})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert not OutboxMessage.objects.exists()


def test_an_email_waits_sealed_and_is_wiped_once_sent(
    templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        send_link()
    waiting = OutboxMessage.objects.get()
    assert waiting.args == []
    assert waiting.sealed
    assert "s3cr3t" not in waiting.sealed
    assert "approver@example.org" not in waiting.sealed

    for callback in after_commit:
        callback()

    (message,) = mail.outbox
    assert SECRET_LINK in message.body
    delivered = OutboxMessage.objects.get()
    assert delivered.sent_at is not None
    assert delivered.delivered_at is not None
    assert delivered.sealed == ""


def test_a_message_handed_over_twice_is_done_once(templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_link()
    message = OutboxMessage.objects.get()

    email_deliver.apply_async(task_id=str(message.pk))  # the broker hands it over again

    assert len(mail.outbox) == 1


def test_a_task_that_cannot_skip_repeats_is_refused():
    with pytest.raises(TypeError, match="must be based on OutboxTask"):
        outbox_send(provisioning_tasks.grants_expire)


def test_the_sweep_hands_over_what_the_broker_did_not_take(
    templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # the on-commit relay never ran
        send_link()

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        swept = compliance_tasks.outbox_sweep()

    assert swept["sent"] == 1
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().delivered_at is not None


def test_the_sweep_leaves_fresh_messages_to_their_own_relay(
    templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        send_link()

    assert compliance_tasks.outbox_sweep()["sent"] == 0
    assert mail.outbox == []


def test_a_message_handed_over_long_ago_and_never_done_is_handed_over_again(
    templates, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks():
        send_link()
    # Taken by a broker that then lost it (restarted without persistence).
    OutboxMessage.objects.update(sent_at=timezone.now())

    later = timezone.now() + timedelta(minutes=settings.OUTBOX_REDELIVER_MINUTES + 1)
    with time_machine.travel(later):
        swept = compliance_tasks.outbox_sweep()

    assert (swept["redelivered"], swept["sent"]) == (1, 1)
    assert len(mail.outbox) == 1


def test_delivered_messages_are_pruned_after_the_keeping_period(
    templates, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        send_link()

    with time_machine.travel(timezone.now() + timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)):
        swept = compliance_tasks.outbox_sweep()

    assert swept["pruned"] == 1
    assert not OutboxMessage.objects.exists()


def test_the_dashboard_shows_how_many_wait_and_since_when(
    staff_client_for, templates, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now() - timedelta(hours=3)):
        with django_capture_on_commit_callbacks():
            send_link()
        OutboxMessage.objects.update(attempts=4, last_error="OperationalError: refused")
    with django_capture_on_commit_callbacks():
        send_link()
    client, _ = staff_client_for(roles.IT)

    page = client.get(reverse("admin:index")).content.decode()

    assert "side effects waiting for the task broker" in page
    assert '<span class="incident-countdown overdue">2</span>' in page
    assert "3\xa0hours ago" in page
    assert "OperationalError: refused" in page


def test_the_dashboard_says_when_nothing_waits(staff_client_for):
    client, _ = staff_client_for(roles.IT)

    page = client.get(reverse("admin:index")).content.decode()

    assert "Nothing waiting for the broker." in page


def test_the_connector_list_shows_the_pushes_waiting_per_connector(
    slack, actor, staff_client_for, django_capture_on_commit_callbacks
):
    people = PersonFactory.create_batch(3)
    with time_machine.travel(timezone.now() - timedelta(minutes=20)):
        for person in people:
            with django_capture_on_commit_callbacks():
                person_update(person=person, actor=actor, fields={"title": "Team Lead"})
    client, _ = staff_client_for(roles.IT)

    page = client.get(reverse("admin:provisioning_connector_changelist")).content.decode()

    assert "Pushes waiting for the task broker" in page
    assert "Slack: 3, the oldest written 20\xa0minutes ago" in page


def test_the_sweep_command_says_what_it_handed_over(
    templates, django_capture_on_commit_callbacks, capsys
):
    with (
        time_machine.travel(timezone.now() - timedelta(minutes=5)),
        django_capture_on_commit_callbacks(),
    ):
        send_link()

    call_command("outbox_sweep")

    assert capsys.readouterr().out.strip() == (
        "Outbox: 1 handed to the broker, 0 handed over again, 0 delivered ones pruned; "
        "0 still waiting."
    )
    assert len(mail.outbox) == 1


def test_a_message_whose_task_gives_up_is_closed_as_failed_not_handed_over_for_ever(
    templates, django_capture_on_commit_callbacks, monkeypatch, settings, staff_client_for
):
    def refuse(message):
        raise ValueError("the mail server refused approver@example.org")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        send_link()

    message = OutboxMessage.objects.get()
    assert message.delivered_at is not None
    assert message.last_error == "failed: ValueError"
    later = timezone.now() + timedelta(minutes=settings.OUTBOX_REDELIVER_MINUTES + 1)
    with time_machine.travel(later):
        assert compliance_tasks.outbox_sweep()["redelivered"] == 0
    client, _ = staff_client_for(roles.IT)
    page = client.get(reverse("admin:index")).content.decode()
    assert '<span class="outbox-failed">1 given up by their task</span>' in page
