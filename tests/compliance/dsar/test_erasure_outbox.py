"""An e-mail to or about a person, still waiting in the outbox when they are erased, is
withdrawn with its stored copy: its sealed payload is wiped and it is never sent."""

import pytest
from django.core import mail

from compliance.outbox.mail import email_deliver
from compliance.outbox.models import OutboxMessage
from provisioning.emails import email_send
from provisioning.models import SentEmail
from provisioning.services import persons
from tests.compliance.dsar.test_erasure import deletion, erase

pytestmark = pytest.mark.django_db

ADDRESS = "quill.ardent@example.org"


@pytest.fixture
def person(actor):
    return persons.person_create(
        actor=actor,
        fields={"user_name": "quill.ardent", "given_name": "Quill"},
        emails=[persons.Contact(ADDRESS, primary=True)],
    )


def waiting(**fields):
    """An e-mail queued in this test's transaction: its relay waits for a commit."""
    sent = email_send(template="grant_expiring", context={}, **fields)
    assert sent.outbox_message is not None
    return OutboxMessage.objects.get(pk=sent.outbox_message)


@pytest.mark.parametrize("addressed", ["to", "about"])
def test_an_email_waiting_in_the_outbox_is_withdrawn_by_the_erasure(actor, person, addressed):
    fields = (
        {"to": [ADDRESS]} if addressed == "to" else {"to": ["hr@example.org"], "about": [person]}
    )
    message = waiting(**fields)
    assert message.sealed
    assert message.delivered_at is None

    erasure = erase(deletion(actor, person))

    message.refresh_from_db()
    assert (message.sealed, message.last_error) == ("", "withdrawn: data-subject erasure")
    assert message.delivered_at is not None
    assert not SentEmail.objects.exists()
    assert erasure.steps.get(eraser="sent-emails").result["emails_withdrawn"] == 1
    # The broker hands the message over anyway (a relay raced the erasure): nothing is sent.
    email_deliver.apply(task_id=str(message.pk))
    assert mail.outbox == []


def test_an_email_about_someone_else_stays_in_the_outbox(actor, person):
    other = persons.person_create(actor=actor, fields={"user_name": "someone.else"})
    message = waiting(to=["hr@example.org"], about=[other])

    erase(deletion(actor, person))

    message.refresh_from_db()
    assert message.sealed
    assert message.delivered_at is None
