"""Sending the portal's e-mails: HTML plus text through Django's e-mail backend, after the
transaction commits, with a stored copy linked to the people it concerns."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from compliance.outbox.mail import email_queue
from provisioning.email_redaction import email_body_redact
from provisioning.models import Person, SentEmail


def email_send(
    *,
    to: Sequence[str],
    template: str,
    context: dict[str, Any],
    about: Sequence[Person] = (),
) -> SentEmail:
    """Render templates/emails/<template>.{subject.txt,txt,html} and send them once the
    caller's transaction commits; a rolled-back change sends nothing."""
    context = {"portal_base_url": settings.PORTAL_BASE_URL, **context}
    subject = " ".join(
        render_to_string(f"emails/{template}.subject.txt", context, using="text").split()
    )
    text = render_to_string(f"emails/{template}.txt", context, using="text")
    html = render_to_string(f"emails/{template}.html", context)
    # The copy keeps what the e-mail said, not the links it carried (live credentials).
    # Through the outbox: sent once the caller's change commits, even if the broker is down.
    queued = email_queue(to=list(to), subject=subject, text=text, html=html)
    record = SentEmail.objects.create(
        recipients=list(to),
        subject=subject,
        body=email_body_redact(text),
        template=template,
        outbox_message=queued.pk,
    )
    record.about.set(about)
    return record
