"""Access requests and their staged approvals: the person's manager first, then the role
owner, then any reviewer a separation-of-duties rule asks for. Approvers decide from a
signed e-mail link (or their admin inbox). How stages change hands afterwards (reminders
and escalation, an approver who changes or leaves, a rule that changes) is
approvals_routing's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind, Channel
from provisioning import selectors
from provisioning.emails import email_send
from provisioning.errors import (
    AlreadyGrantedError,
    ApprovalClosedError,
    InactivePersonError,
    NoIndependentApproverError,
    NotYourApprovalError,
    RequestRefusedError,
    SelfApprovalError,
    SodConflictError,
)
from provisioning.models import AccessGrant, AccessRequest, Approval, Person, Role, SodRule
from provisioning.services import access
from provisioning.services.approvals_links import link_issue, link_open

if TYPE_CHECKING:
    # django-stubs' stand-in for settings.AUTH_USER_MODEL (the portal's staff user).
    from django.contrib.auth.models import _User

Decision = Approval.Decision
Kind = Approval.Kind
# How far up the management chain to look for an approver who is not the requester or
# the person; org charts deeper than this are not worth walking for one approval.
MAX_ESCALATION_DEPTH = 5


@dataclass(frozen=True)
class Stage:
    kind: str
    email: str
    sod_rule: SodRule | None = None


def access_request(
    *,
    person: Person,
    role: Role,
    requested_by: _User,
    justification: str,
    duration: timedelta,
    actor: Actor,
) -> AccessRequest:
    """Ask for a role for a person. The role must be requestable, the duration positive and
    no longer than the role allows, the person active, and no request for the same role
    pending. A conflicting role under a 'refuse' rule is refused; under an 'extra
    approval' rule the rule's reviewer becomes a further stage. An active grant with an end
    date may be extended this way; one with no end date cannot be requested again."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if not person.active:
            raise InactivePersonError
        if not role.requestable:
            raise RequestRefusedError(f"{role} cannot be requested; a template grants it")
        if not timedelta(0) < duration <= role.max_duration:
            raise RequestRefusedError(
                f"the duration must be between 1 day and {role.max_duration.days} days"
            )
        if not justification.strip():
            raise RequestRefusedError("a justification is required")
        if AccessRequest.objects.filter(
            person=person, role=role, status=AccessRequest.Status.PENDING
        ).exists():
            raise RequestRefusedError(f"a request for {role} is already pending")
        if selectors.grants_active(person=person).filter(role=role, expires_at=None).exists():
            raise AlreadyGrantedError(role, open_ended=True)
        stages = _plan(person=person, role=role, requested_by=requested_by)
        request = AccessRequest.objects.create(
            person=person,
            role=role,
            requested_by=requested_by,
            justification=justification,
            duration=duration,
        )
        Approval.objects.bulk_create(
            [
                Approval(
                    request=request,
                    stage=number,
                    kind=stage.kind,
                    approver_email=stage.email,
                    sod_rule=stage.sod_rule,
                )
                for number, stage in enumerate(stages, start=1)
            ]
        )
        event_record(
            actor=actor,
            action=Action.ACCESS_REQUESTED,
            target=request,
            subject_id=str(person.pk),
            data={
                "request": str(request.pk),
                "role": str(role.pk),
                "duration_days": duration.days,
                "stages": [stage.kind for stage in stages],
            },
            personal={"justification": justification},
        )
        _stage_open(request.approvals.get(stage=1))
    return request


def _plan(*, person: Person, role: Role, requested_by: _User) -> list[Stage]:
    held = list(selectors.grants_active(person=person).values_list("role_id", flat=True))
    # Locked to the request's commit: a rule changed or deleted meanwhile waits, then
    # finds the review this request is given (sod_rule_save, sod_rule_delete lock it too).
    rules = (
        SodRule.objects.filter(
            Q(role_a=role, role_b_id__in=held) | Q(role_b=role, role_a_id__in=held)
        )
        .select_related("role_a", "role_b", "extra_approver")
        .select_for_update(of=("self",))
        .order_by("created", "pk")
    )
    stages: list[Stage] = []
    if person.manager_id is not None:
        manager = _primary_email(person.manager_id)
        if manager:
            stages.append(Stage(Kind.MANAGER, manager))
    stages.append(Stage(Kind.OWNER, role.owner.email))
    for rule in rules:
        other = rule.role_b if rule.role_a_id == role.pk else rule.role_a
        if rule.effect == SodRule.Effect.REFUSE:
            raise SodConflictError(role, other)
        assert rule.extra_approver is not None  # a database constraint
        stages.append(Stage(Kind.SOD, rule.extra_approver.email, rule))
    excluded = _excluded(person=person, requested_by=requested_by)
    planned: list[Stage] = []
    for stage in stages:
        email = _independent(stage.email, excluded) if stage.email else None
        if email is None:
            raise NoIndependentApproverError(Kind(stage.kind).label)
        # The same approver twice in a row decides once; but a rule's review stays a stage
        # of its own, which follows its rule (a new reviewer, a refusal, the rule removed)
        # without taking the owner's approval or another rule's review along.
        if stage.sod_rule is None and planned and planned[-1].email.lower() == email.lower():
            continue
        planned.append(Stage(stage.kind, email, stage.sod_rule))
    return planned


def _excluded(*, person: Person, requested_by: _User) -> set[str]:
    """The identities that may not approve: the requester's and the person's."""
    identities = {person.user_name, requested_by.email, requested_by.get_username()}
    identities |= set(person.emails.values_list("value", flat=True))
    return {identity.lower() for identity in identities if identity}


def _independent(email: str, excluded: set[str]) -> str | None:
    """This approver, or the nearest manager above them who is not excluded."""
    for _ in range(MAX_ESCALATION_DEPTH):
        if email.lower() not in excluded:
            return email
        manager = _manager_email(email)
        if manager is None:
            return None
        email = manager
    return None


def _primary_email(person_id: UUID) -> str | None:
    return (
        Person.objects.filter(pk=person_id, active=True)
        .values_list("emails__value", flat=True)
        .order_by("-emails__primary", "emails__id")
        .exclude(emails__value=None)
        .first()
    )


def _manager_email(email: str) -> str | None:
    """The primary e-mail of the manager of the person with this e-mail address."""
    holder = (
        Person.objects.filter(emails__value__iexact=email, active=True)
        .exclude(manager=None)
        .values_list("manager_id", flat=True)
        .first()
    )
    return _primary_email(holder) if holder else None


def _stage_open(approval: Approval, *, template: str = "approval_requested") -> None:
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


def _approver_actor(approval: Approval, *, client_address: str | None = None) -> Actor:
    """The actor for a decision through an e-mail link: the approval identifies the
    approver (its address stays out of the audit event's clear text)."""
    return Actor(
        kind=ActorKind.APPROVER,
        identifier=str(approval.pk),
        label=f"approver, stage {approval.stage} ({approval.kind})",
        channel=Channel.EMAIL_LINK,
        client_address=client_address,
    )


def approval_decide_by_link(
    *, token: str, approve: bool, comment: str = "", client_address: str | None = None
) -> Approval:
    """Decide through an e-mail link. The link is single use: deciding clears its nonce."""
    with transaction.atomic():
        approval = link_open(token, queryset=Approval.objects.select_for_update())
        # An approver who is a data subject here acted from their own address, and their
        # comment is their own words: both are sealed under their key in an event about
        # them (erasing them shreds it), not left in the clear, hash-chained column of
        # every event of the decision, nor under the requester's key.
        approver = _approver_subject(approval.approver_email) if client_address or comment else None
        actor = _approver_actor(approval, client_address=None if approver else client_address)
        decided = _decide(
            approval, approve=approve, comment=comment, actor=actor, comment_sealed=not approver
        )
        if approver:
            own = {"client_address": client_address, "comment": comment}
            event_record(
                actor=actor,
                action=Action.APPROVAL_LINK_USED,
                target=decided,
                subject_id=approver,
                personal={name: value for name, value in own.items() if value},
            )
        return decided


def _approver_subject(email: str) -> str | None:
    """The subject id of the person an approval's address belongs to, if any."""
    found = Person.objects.filter(emails__value__iexact=email).values_list("pk", flat=True)
    person_id = found.first()
    return str(person_id) if person_id else None


def approval_decide_as_staff(
    *, approval: Approval, user: _User, approve: bool, comment: str, actor: Actor
) -> Approval:
    """Decide from the admin inbox: only the addressee of the approval may."""
    with transaction.atomic():
        locked = Approval.objects.select_for_update().get(pk=approval.pk)
        if not user.email or locked.approver_email.lower() != user.email.lower():
            raise NotYourApprovalError
        return _decide(locked, approve=approve, comment=comment, actor=actor)


def _decide(
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
    if approval.approver_email.lower() in _excluded(
        person=request.person, requested_by=request.requested_by
    ):
        raise SelfApprovalError
    approval.request = request  # read above with what closing the stage needs
    _stage_close(
        approval,
        decision=Decision.APPROVED if approve else Decision.REJECTED,
        comment=comment,
        actor=actor,
        comment_sealed=comment_sealed,
    )
    if approve:
        _advance(request, actor=actor)
    else:
        reason = reason or f"{_stage_named(approval)} rejected it"
        _request_close(request, status=AccessRequest.Status.REJECTED, actor=actor, reason=reason)
    return approval


def _stage_named(approval: Approval) -> str:
    """The stage as its requester is told of it: "stage 2 (the role owner)"."""
    return f"stage {approval.stage} ({approval.get_kind_display()})"


def _stage_close(
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
    _approval_event(
        approval,
        action=Action.APPROVAL_DECIDED,
        actor=actor,
        data={"decision": decision, **({"reason": reason} if reason else {})},
        personal={"comment": comment} if comment and comment_sealed else None,
    )


def _approval_event(
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


def _advance(request: AccessRequest, *, actor: Actor) -> None:
    """The pending stage is done with: open the next waiting one or, with none left,
    approve the request and grant the role."""
    following = request.approvals.filter(decision=Decision.WAITING).order_by("stage").first()
    if following is not None:
        _stage_open(following)
        return
    _request_close(request, status=AccessRequest.Status.APPROVED, actor=actor)
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


def _request_close(request: AccessRequest, *, status: str, actor: Actor, reason: str = "") -> None:
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


def requests_cancel_for(*, person: Person, actor: Actor) -> int:
    """Cancel a person's pending requests (the person left): their links stop working."""
    cancelled = 0
    pending = AccessRequest.objects.filter(person=person, status=AccessRequest.Status.PENDING)
    for request in pending.select_related("requested_by", "person", "role"):
        _request_close(
            request, status=AccessRequest.Status.CANCELLED, actor=actor, reason="the person left"
        )
        cancelled += 1
    return cancelled
