"""The steps that the approval stages share, for `requests` (asking and deciding) and
`approvals_routing` (reminders, escalation, approvers who change or leave, rules that
change): open a stage, close it, decide it, move on to the next one, close the request.
Package-internal: the services of those two modules are the entry points, and each records
its events through these steps."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning import selectors
from provisioning.emails import email_send
from provisioning.errors import ApprovalClosedError, SelfApprovalError
from provisioning.models import AccessGrant, AccessRequest, Approval, Person
from provisioning.services import access
from provisioning.services.approvals_links import link_issue

if TYPE_CHECKING:
    # django-stubs' stand-in for settings.AUTH_USER_MODEL (the portal's staff user).
    from django.contrib.auth.models import _User

Decision = Approval.Decision
# How far up the management chain to look for an approver who is not the requester or
# the person; org charts deeper than this are not worth walking for one approval.
MAX_ESCALATION_DEPTH = 5


def excluded_identities(*, person: Person, requested_by: _User) -> set[str]:
    """The identities that may not approve: the requester's and the person's."""
    identities = {person.user_name, requested_by.email, requested_by.get_username()}
    identities |= set(person.emails.values_list("value", flat=True))
    return {identity.lower() for identity in identities if identity}


def independent_approver(email: str, excluded: set[str]) -> str | None:
    """This approver, or the nearest manager above them who is not excluded."""
    for _ in range(MAX_ESCALATION_DEPTH):
        if email.lower() not in excluded:
            return email
        manager = manager_email(email)
        if manager is None:
            return None
        email = manager
    return None


def primary_email(person_id: UUID) -> str | None:
    return (
        Person.objects.filter(pk=person_id, active=True)
        .values_list("emails__value", flat=True)
        .order_by("-emails__primary", "emails__id")
        .exclude(emails__value=None)
        .first()
    )


def manager_email(email: str) -> str | None:
    """The primary e-mail of the manager of the person with this e-mail address."""
    holder = (
        Person.objects.filter(emails__value__iexact=email, active=True)
        .exclude(manager=None)
        .values_list("manager_id", flat=True)
        .first()
    )
    return primary_email(holder) if holder else None


def stage_open(approval: Approval, *, template: str = "approval_requested") -> None:
    """Make the stage the pending one: set its deadline, issue a fresh link, e-mail it."""
    now = timezone.now()
    approval.decision = Decision.PENDING
    if template == "approval_requested":
        approval.deadline = now + timedelta(days=settings.APPROVAL_STAGE_DAYS)
    path = link_issue(approval)
    approval.save()
    request = approval.request
    email_send(
        to=[approval.approver_email],
        template=template,
        context={
            "approval": approval,
            "request": request,
            "person": request.person,
            "role": request.role,
            "link_path": path,
        },
        about=[request.person],
    )


def decide(
    approval: Approval,
    *,
    approve: bool,
    comment: str,
    actor: Actor,
    reason: str = "",
    comment_sealed: bool = True,
) -> Approval:
    """Record one stage's decision. A rejection ends the request, and the requester hears
    `reason`, by default which approver rejected it (their comment is theirs, not told);
    the last approval grants the role until now + the requested duration (an extension:
    from the current end). Without `comment_sealed` the caller records the comment in an
    event about the approver instead."""
    if approval.decision != Decision.PENDING:
        raise ApprovalClosedError
    request = AccessRequest.objects.select_related("person", "role", "requested_by").get(
        pk=approval.request_id
    )
    if approval.approver_email.lower() in excluded_identities(
        person=request.person, requested_by=request.requested_by
    ):
        raise SelfApprovalError
    approval.request = request  # read above with what closing the stage needs
    stage_close(
        approval,
        decision=Decision.APPROVED if approve else Decision.REJECTED,
        comment=comment,
        actor=actor,
        comment_sealed=comment_sealed,
    )
    if approve:
        advance(request, actor=actor)
    else:
        reason = reason or f"{stage_named(approval)} rejected it"
        request_close(request, status=AccessRequest.Status.REJECTED, actor=actor, reason=reason)
    return approval


def stage_named(approval: Approval) -> str:
    """The stage as its requester is told of it: "stage 2 (the role owner)"."""
    return f"stage {approval.stage} ({approval.get_kind_display()})"


def stage_close(
    approval: Approval,
    *,
    decision: str,
    actor: Actor,
    comment: str = "",
    reason: str = "",
    comment_sealed: bool = True,
) -> None:
    """Record a stage's outcome, use up its link and record the event. An approver's
    `comment` is theirs (personal data in the event, unless the caller seals it in one
    about the approver); the portal's own `reason` is recorded in clear, and is the
    stage's comment."""
    approval.decision = decision
    approval.decided_at = timezone.now()
    approval.comment = comment or reason
    approval.token_hash = ""
    approval.save()
    approval_event(
        approval,
        action=Action.APPROVAL_DECIDED,
        actor=actor,
        data={"decision": decision, **({"reason": reason} if reason else {})},
        personal={"comment": comment} if comment and comment_sealed else None,
    )


def approval_event(
    approval: Approval,
    *,
    action: Action,
    actor: Actor,
    data: dict[str, Any] | None = None,
    personal: dict[str, Any] | None = None,
) -> None:
    """An event about an approval stage: its subject is the person the request is for,
    and it names the request and the stage."""
    event_record(
        actor=actor,
        action=action,
        target=approval,
        subject_id=str(approval.request.person_id),
        data={"request": str(approval.request_id), "stage": approval.stage, **(data or {})},
        personal=personal,
    )


def advance(request: AccessRequest, *, actor: Actor) -> None:
    """The pending stage is done with: open the next waiting one or, with none left,
    approve the request and grant the role."""
    following = request.approvals.filter(decision=Decision.WAITING).order_by("stage").first()
    if following is not None:
        stage_open(following)
        return
    request_close(request, status=AccessRequest.Status.APPROVED, actor=actor)
    _grant(request, actor=actor)


def _grant(request: AccessRequest, *, actor: Actor) -> AccessGrant:
    now = timezone.now()
    current = selectors.grants_active(person=request.person).filter(role=request.role).first()
    start = max(now, current.expires_at) if current and current.expires_at else now
    if current is not None:
        access.grants_end(
            grants=AccessGrant.objects.filter(pk=current.pk),
            actor=actor,
            reason=f"extended by request {request.pk}",
        )
    return access.grant_create(
        person=request.person,
        role=request.role,
        source=AccessGrant.Source.REQUEST,
        request=request,
        expires_at=start + request.duration,
        actor=actor,
        reason=request.justification,
    )


def request_close(request: AccessRequest, *, status: str, actor: Actor, reason: str = "") -> None:
    request.status = status
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    request.approvals.filter(decision__in=[Decision.WAITING, Decision.PENDING]).update(
        decision=Decision.SKIPPED, token_hash=""
    )
    event_record(
        actor=actor,
        action=Action.ACCESS_REQUEST_DECIDED,
        target=request,
        subject_id=str(request.person_id),
        data={
            "request": str(request.pk),
            "role": str(request.role_id),
            "status": status,
            **({"reason": reason} if reason else {}),
        },
    )
    if request.requested_by.email:
        email_send(
            to=[request.requested_by.email],
            template="access_request_decided",
            context={
                "request": request,
                "person": request.person,
                "role": request.role,
                "reason": reason,
            },
            about=[request.person],
        )
