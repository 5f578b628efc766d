"""Notices to the requester: acknowledgement, identity-verification challenge, extension
with its reasons, completion, and denial with its legal basis and the way to complain
(GDPR Art. 12(3)-(4); CCPA regulations §7021, §7022(f), §7024).

Each is rendered from templates/emails/dsar_<kind>.{subject.txt,txt,html} and written to the
outbox in the caller's transaction (sealed, since a challenge carries a one-time code, and
wiped once sent), and recorded as a Notice with its audit event. The message is not kept:
the record says which notice went to whom and when.

Who receives it: the requester at the contact address given (else the e-mail address they
identified themselves with). When an authorised agent acts for them, the agent receives
every notice as well, except the challenge: the consumer verifies their own identity
directly (CCPA §7063(a)); and the link to download an export goes to the consumer alone,
the agent's copy of the completion saying so: anyone holding the link has the data.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.template.loader import render_to_string
from django.urls import reverse

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.dsar.deadlines import CCPA_CHOICES, Regulation, received_on
from compliance.dsar.models import AuthorisedAgent, DataSubjectRequest, Erasure, Notice
from compliance.errors import NoticeError
from compliance.outbox.mail import email_queue
from compliance.subjects import subject_resolver

Kind = Notice.Kind

# Where a requester who disagrees can complain (GDPR Art. 12(4), 77; CCPA §1798.199.45).
AUTHORITIES = {
    Regulation.GDPR: (
        "the data protection supervisory authority of the EU or EEA country where you live "
        "or work, or where you think the law was broken",
        "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
    ),
    Regulation.CCPA: (
        "the California Privacy Protection Agency",
        "https://cppa.ca.gov/webapplications/complaint",
    ),
}


def requester_address(request: DataSubjectRequest) -> str:
    """Where the requester's own notices go: their contact address, else the e-mail they
    identified themselves with, else the address on file for the person."""
    given = request.contact_email or request.subject_identifiers.get("email", "")
    if given or request.person_id is None:
        return str(given)
    subjects = subject_resolver()
    on_file = subjects.identifiers(subjects.lock(str(request.person_id)))
    return next((value for kind, value in on_file if kind == "email"), "")


def agent_address(request: DataSubjectRequest) -> str:
    agent = AuthorisedAgent.objects.filter(request=request).first()
    return agent.email if agent is not None else ""


def recipients(request: DataSubjectRequest, kind: str) -> list[str]:
    addresses = [requester_address(request)]
    if kind != Kind.CHALLENGE:
        addresses.append(agent_address(request))
    return _addressed(addresses)


def _addressed(addresses: list[str]) -> list[str]:
    found = [address for address in addresses if address]
    if not found:
        raise NoticeError(
            "There is no address to send the notice to: record the requester's contact e-mail."
        )
    return list(dict.fromkeys(found))


def notice_send(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    kind: str,
    sent_by: AbstractBaseUser | None = None,
    to: list[str] | None = None,
    **context: Any,
) -> Notice:
    """Render and queue one notice and record it; call inside the step's transaction, so a
    step that rolls back sends nothing. It goes to `recipients`, unless `to` says who."""
    to = recipients(request, kind) if to is None else _addressed(to)
    context = {**notice_context(request), **context}
    subject = " ".join(
        render_to_string(f"emails/dsar_{kind}.subject.txt", context, using="text").split()
    )
    email_queue(
        to=to,
        subject=subject,
        text=render_to_string(f"emails/dsar_{kind}.txt", context, using="text"),
        html=render_to_string(f"emails/dsar_{kind}.html", context),
    )
    notice = Notice.objects.create(
        request=request, kind=kind, recipients=to, sent_by_id=sent_by.pk if sent_by else None
    )
    event_record(
        actor=actor,
        action=Action.DSAR_NOTICE_SENT,
        target=request,
        subject_id=request.subject_id,
        personal={"recipients": to},
        data={"notice": kind, "recipients": len(to), "regulation": request.regulation},
    )
    return notice


def notice_context(request: DataSubjectRequest) -> dict[str, Any]:
    authority, complaint_url = AUTHORITIES[Regulation(request.regulation)]
    return {
        "request": request,
        "reference": str(request.pk)[:8].upper(),
        "received_on": received_on(request.received_at),
        "organisation": settings.ROPA_CONTROLLER_NAME,
        "privacy_contact": settings.ROPA_DPO_CONTACT,
        "authority": authority,
        "complaint_url": complaint_url,
        # An opt-out or a limit: no identity check (§7026(d), §7027(e)), no extension.
        "ccpa_choice": request.type in CCPA_CHOICES,
    }


def completion_context(request: DataSubjectRequest) -> dict[str, Any]:
    """What the completion notice says was done: the stores erased from, or the copy made
    and how it reaches the requester; nothing when no person matched."""
    erasure = Erasure.objects.filter(request=request, completed_at__isnull=False).first()
    package = request.packages.order_by("-created_at").first()
    return {
        "erased_from": list(erasure.steps.values_list("store", flat=True)) if erasure else [],
        "package": package,
    }


def challenge_page_url(token: str) -> str:
    path = reverse("dsar-challenge", args=[token])
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"
