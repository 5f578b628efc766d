"""E-mail through the outbox: the message is sealed in the outbox row (it may carry an
approval link, a live secret) and sent by a task that reads it from there."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from compliance.outbox.consumer import OutboxTask, outbox_payload
from compliance.outbox.models import OutboxMessage
from compliance.outbox.queue import outbox_send

TOPIC = "email"


def email_queue(*, to: list[str], subject: str, text: str, html: str) -> OutboxMessage:
    """Send once the caller's transaction commits; kept until the mail server takes it.
    Returns the outbox row, so that the sender can withdraw it (outbox_withdraw)."""
    payload = {"to": to, "subject": subject, "text": text, "html": html}
    return outbox_send(email_deliver, topic=TOPIC, payload=payload)


@shared_task(
    base=OutboxTask,
    bind=True,
    name="compliance.email_deliver",
    acks_late=True,
    autoretry_for=(OSError,),  # the mail server unreachable (smtplib's errors are OSErrors)
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def email_deliver(self: Any) -> int:
    message = outbox_payload(self)
    mail = EmailMultiAlternatives(
        message["subject"], message["text"], settings.DEFAULT_FROM_EMAIL, message["to"]
    )
    mail.attach_alternative(message["html"], "text/html")
    return mail.send()
