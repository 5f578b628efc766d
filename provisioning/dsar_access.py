"""What access governance and outbound provisioning hold about a person, registered with
the export and erasure engines of compliance.dsar: grants, access requests, approvals
(those of the person's requests, and those the person gave as an approver), and the
person's accounts in downstream applications."""

from typing import Any

from django.db import models

from compliance import inventory
from compliance.audit import crypto
from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action, ActorKind
from compliance.dsar.collectors import Records, register_collector
from compliance.dsar.erasers import DOWNSTREAM, LOCAL, register_eraser
from compliance.dsar.package import register_subject_models
from provisioning import selectors
from provisioning.connectors.erasure import connector_erase
from provisioning.connectors.models import Connector
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Approval,
    Person,
    ScheduledOffboarding,
)
from provisioning.services import approvals_routing, persons, requests

ERASED = "data-subject erasure"


def grants(person: Person) -> Records:
    rows = (
        AccessGrant.objects.filter(person=person)
        .select_related("role", "entitlement__application")
        .order_by("starts_at")
    )
    for grant in rows.iterator():
        yield {
            "role": grant.role.name if grant.role else "",
            "entitlement": str(grant.entitlement) if grant.entitlement else "",
            "source": grant.source,
            "granted_by": grant.granted_by,
            "starts_at": grant.starts_at,
            "expires_at": grant.expires_at,
            "status": grant.status,
            "reason": grant.reason,
            "revoked_at": grant.revoked_at,
            "revoked_by": grant.revoked_by,
            "revocation_reason": grant.revocation_reason,
        }


def access_requests(person: Person) -> Records:
    rows = (
        AccessRequest.objects.filter(person=person)
        .select_related("role", "requested_by")
        .order_by("created")
    )
    for request in rows.iterator():
        yield {
            "role": request.role.name,
            "requested_by": request.requested_by.get_username(),
            "justification": request.justification,
            "duration": str(request.duration),
            "status": request.status,
            "created": request.created,
            "decided_at": request.decided_at,
        }


def approvals(person: Person) -> Records:
    """The stages of the person's own requests, then the decisions the person was asked
    for as an approver."""
    own = Approval.objects.filter(request__person=person)
    given = selectors.approvals_addressed_to(person).exclude(pk__in=own.values("pk"))
    for role, rows in (("subject", own), ("approver", given)):
        for approval in rows.select_related("request__role").order_by("created").iterator():
            yield {
                "as": role,
                "role": approval.request.role.name,
                "stage": approval.stage,
                "kind": approval.kind,
                "approver_email": approval.approver_email,
                "decision": approval.decision,
                "decided_at": approval.decided_at,
                "comment": approval.comment,
            }


def _acted(person: Person) -> "models.QuerySet[AuditEvent]":
    """The events the person performed themselves: decisions through an e-mailed link
    (the actor is the approval addressed to them; staff act under staff accounts)."""
    approvals = [
        str(pk) for pk in selectors.approvals_addressed_to(person).values_list("pk", flat=True)
    ]
    return AuditEvent.objects.filter(actor_kind=ActorKind.APPROVER, actor_id__in=approvals)


def actions(person: Person) -> Records:
    for event in _acted(person).order_by("sequence").iterator(chunk_size=500):
        yield {
            "occurred_at": event.occurred_at,
            "action": event.action,
            "as": event.actor_label,
            "channel": event.channel,
            "outcome": event.outcome,
            "client_address": event.client_address,
        }


def client_addresses(person: Person) -> Records:
    """The network addresses the person acted from, with when (kept for security, GDPR
    Art. 6(1)(f)): sealed under their key in the events about their link decisions, and in
    the clear in events recorded before those were sealed."""
    subject_id = str(person.pk)
    sealed = AuditEvent.objects.filter(subject_id=subject_id, action=Action.APPROVAL_LINK_USED)
    for event in sealed.order_by("sequence").iterator(chunk_size=500):
        details = crypto.decrypt(subject_id, event.ciphertext) or {}
        if details.get("client_address"):
            yield {"client_address": details["client_address"], "seen": event.occurred_at}
    clear = _acted(person).exclude(client_address=None).order_by("sequence")
    for occurred_at, address in clear.values_list("occurred_at", "client_address"):
        yield {"client_address": address, "seen": occurred_at}


def offboardings(person: Person) -> Records:
    for offboarding in ScheduledOffboarding.objects.filter(person=person).order_by("created"):
        yield {
            "effective_on": offboarding.effective_on,
            "reason": offboarding.reason,
            "requested_by": offboarding.requested_by,
            "status": offboarding.status,
            "done_at": offboarding.done_at,
        }


def offboardings_erase(person: Person, actor: Actor) -> dict[str, Any]:
    """A leaver's reason may tell their circumstances (health, family, a move): blanked.
    One still scheduled is cancelled: the erasure has already made the person leave."""
    rows = ScheduledOffboarding.objects.filter(person=person)
    cancelled = rows.filter(status=ScheduledOffboarding.Status.SCHEDULED).update(
        status=ScheduledOffboarding.Status.CANCELLED
    )
    return {"offboardings_cancelled": cancelled, "offboardings_blanked": rows.update(reason="")}


def grants_erase(person: Person, actor: Actor) -> dict[str, Any]:
    """The person leaves first, through the leaver path (grants revoked, requests
    cancelled, every connector told to deprovision), so that no push queued by this
    erasure can provision them downstream again. Then the free text of every grant is
    blanked: reasons may tell a person's circumstances."""
    revoked = AccessGrant.objects.filter(person=person, status=AccessGrant.Status.ACTIVE).count()
    was_active = person.active
    persons.person_set_active(person=person, actor=actor, active=False, reason=ERASED)
    blanked = AccessGrant.objects.filter(person=person).update(reason="", revocation_reason="")
    return {"deactivated": was_active, "grants_revoked": revoked, "grants_blanked": blanked}


def requests_erase(person: Person, actor: Actor) -> dict[str, Any]:
    """Cancel the pending requests through the request service (their links stop
    working), hand on the approvals still waiting for the person (one who left before
    leavers' approvals were handed on has some), blank every justification and approval
    comment on their requests, and take the person's address and comments off the
    approvals they were asked for."""
    cancelled = requests.requests_cancel_for(person=person, actor=actor)
    handed = approvals_routing.approvals_hand_over(leaver=person, actor=actor)
    blanked = AccessRequest.objects.filter(person=person).update(justification="")
    comments = Approval.objects.filter(request__person=person).update(comment="")
    # The decision stays (another person's access rests on it); who gave it does not.
    given = selectors.approvals_addressed_to(person).update(
        approver_email=f"erased-{person.pk.hex}@invalid", comment=""
    )
    return {
        "requests_cancelled": cancelled,
        "approvals_handed_on": handed,
        "requests_blanked": blanked,
        "approval_comments_blanked": comments,
        "approvals_given_anonymised": given,
    }


def downstream_erase(person: Person, actor: Actor) -> dict[str, Any]:
    """Every enabled connector deletes the person's account (deactivates it only where the
    downstream refuses the deletion); each downstream's answer goes into the receipt (a
    failure too, for the privacy officer)."""
    connectors = Connector.objects.filter(enabled=True).select_related("application")
    return {
        "downstream": [
            connector_erase(person, connector) for connector in connectors.order_by("pk")
        ]
    }


def register() -> None:
    register_subject_models(
        "provisioning.AccessGrant",
        "provisioning.AccessRequest",
        "provisioning.Approval",
        "provisioning.ScheduledOffboarding",
    )
    register_collector("access-grants", inventory.Category.ACCESS, grants)
    register_collector("access-requests", inventory.Category.ACCESS, access_requests)
    register_collector("approvals", inventory.Category.ACCESS, approvals)
    register_collector("scheduled-offboardings", inventory.Category.EMPLOYMENT, offboardings)
    register_collector("actions-as-actor", inventory.Category.TECHNICAL, actions)
    register_collector("client-addresses", inventory.Category.TECHNICAL, client_addresses)

    # Before the downstream accounts go: the leaver path pushes the deprovisioning while
    # the accounts still exist there, and an inactive person is never provisioned again.
    register_eraser(
        "access-grants", "access grants (the person leaves)", grants_erase, order=DOWNSTREAM - 2
    )
    register_eraser(
        "access-requests", "access requests and approvals", requests_erase, order=DOWNSTREAM - 1
    )
    register_eraser(
        "downstream", "downstream applications (SCIM)", downstream_erase, order=DOWNSTREAM
    )
    register_eraser(
        "scheduled-offboardings", "scheduled offboardings", offboardings_erase, order=LOCAL
    )
