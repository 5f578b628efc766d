"""Telling the recipients of a person's data what the person asked, so that they comply
too: the third parties the data was sold or shared to, after an opt-out of sale or sharing
(CCPA regulations §7026(f)(2)) or a limit on the use of sensitive personal information
(§7027(g)(2)), and every recipient after a restriction (GDPR Art. 19).

A rectification and an erasure need no notice of their own: the push that follows the
correction carries the new values to each application, and the erasure deletes or
deactivates the person's accounts there (its receipt lists them).

Compliance knows no connector; the identity domain registers who received the person's
data, and at which address each recipient takes such notices (register_recipients). The
notice is an e-mail through the outbox, written in the fulfilling step's transaction.
Each recipient's notice is an audit event about the request, which the request's page
lists; a recipient without an address is recorded as not told, for the officer to reach
another way."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, Outcome
from compliance.dsar.deadlines import received_on
from compliance.dsar.models import DataSubjectRequest, RequestType
from compliance.outbox.mail import email_queue

# What each recipient is asked to do, by the request type that obliges us to tell them.
ASKS = {
    RequestType.SALE_OPT_OUT: (
        "CCPA regulations §7026(f)(2)",
        "The consumer opted out of the sale and sharing of their personal information. "
        "Stop selling and sharing it, and do not sell or share what you receive about them "
        "from now on.",
    ),
    RequestType.LIMIT_SENSITIVE: (
        "CCPA regulations §7027(g)(2)",
        "The consumer limited the use of their sensitive personal information. Stop using "
        "and disclosing it for any purpose beyond those §7027(m) allows.",
    ),
    RequestType.RESTRICTION: (
        "GDPR Art. 19",
        "The data subject obtained the restriction of processing of their personal data "
        "(Art. 18). Store it, but do not otherwise process it until we tell you the "
        "restriction is lifted.",
    ),
}


@dataclass(frozen=True)
class Recipient:
    name: str  # the application, as the officer knows it
    contact: str  # where it takes privacy notices; "" when none is declared
    account: str  # the person's account id there, by which it finds them


# A subject id and a request type -> the recipients to tell.
RecipientsOf = Callable[[str, str], list[Recipient]]

_recipients: RecipientsOf | None = None


def register_recipients(recipients_of: RecipientsOf) -> None:
    global _recipients  # one identity domain per process, set at start-up
    _recipients = recipients_of


def recipients_notify(*, actor: Actor, request: DataSubjectRequest) -> list[Recipient]:
    """Tell each recipient of the person's data what the request obliges them to do, in
    the caller's transaction (a step that rolls back tells no one). The notice names the
    person only by their account there and the portal's id for them (its externalId)."""
    ask = ASKS.get(RequestType(request.type))
    if ask is None or request.person_id is None or _recipients is None:
        return []
    law, what = ask
    told = _recipients(str(request.person_id), request.type)
    for recipient in told:
        if recipient.contact:
            context = {
                "recipient": recipient,
                "external_id": str(request.person_id),
                "law": law,
                "what": what,
                "reference": str(request.pk)[:8].upper(),
                "received_on": received_on(request.received_at),
                "organisation": settings.ROPA_CONTROLLER_NAME,
                "privacy_contact": settings.ROPA_DPO_CONTACT,
            }
            email_queue(
                to=[recipient.contact],
                subject=" ".join(
                    render_to_string(
                        "emails/dsar_recipient.subject.txt", context, using="text"
                    ).split()
                ),
                text=render_to_string("emails/dsar_recipient.txt", context, using="text"),
                html=render_to_string("emails/dsar_recipient.html", context),
            )
        event_record(
            actor=actor,
            action=Action.DSAR_RECIPIENT_NOTIFIED,
            target=request,
            subject_id=request.subject_id,
            outcome=Outcome.SUCCESS if recipient.contact else Outcome.FAILED,
            # The address is meant to be a role address, but may name someone: sealed.
            personal={"contact": recipient.contact} if recipient.contact else None,
            data={
                "regulation": request.regulation,
                "type": request.type,
                "recipient": recipient.name,
                "law": law,
            },
        )
    return told


def recipient_notices(request: DataSubjectRequest) -> QuerySet[AuditEvent]:
    """The recipients told of the request (or found without an address), oldest first."""
    return AuditEvent.objects.filter(
        action=Action.DSAR_RECIPIENT_NOTIFIED,
        target_type=DataSubjectRequest._meta.label_lower,
        target_id=str(request.pk),
    ).order_by("sequence")
