"""Access requests and their staged approvals: the person's manager first, then the role
owner, then any reviewer a separation-of-duties rule asks for. Approvers decide from a
signed e-mail link (or their admin inbox); unanswered approvals are reminded once, then
escalated to the approver's manager or rejected, as the role says."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind, Channel
from portal.models import StaffUser
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

Decision = Approval.Decision
Kind = Approval.Kind
# How far up the management chain to look for an approver who is not the requester or
# the person; org charts deeper than this are not worth walking for one approval.
MAX_ESCALATION_DEPTH = 5


RULE_REFUSES = "the separation-of-duties rule now refuses this combination"
RULE_REMOVED = "the separation-of-duties rule that asked for this review was removed"


@dataclass(frozen=True)
class Stage:
    kind: str
    email: str
    sod_rule: SodRule | None = None


def access_request(
    *,
    person: Person,
    role: Role,
    requested_by: StaffUser,
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


def _plan(*, person: Person, role: Role, requested_by: StaffUser) -> list[Stage]:
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


def _excluded(*, person: Person, requested_by: StaffUser) -> set[str]:
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
        actor = _approver_actor(approval, client_address=client_address)
        return _decide(approval, approve=approve, comment=comment, actor=actor)


def approval_decide_as_staff(
    *, approval: Approval, user: StaffUser, approve: bool, comment: str, actor: Actor
) -> Approval:
    """Decide from the admin inbox: only the addressee of the approval may."""
    with transaction.atomic():
        locked = Approval.objects.select_for_update().get(pk=approval.pk)
        if not user.email or locked.approver_email.lower() != user.email.lower():
            raise NotYourApprovalError
        return _decide(locked, approve=approve, comment=comment, actor=actor)


def _decide(
    approval: Approval, *, approve: bool, comment: str, actor: Actor, reason: str = ""
) -> Approval:
    """Record one stage's decision. A rejection ends the request, and the requester hears
    `reason`, by default which approver rejected it (their comment is theirs, not told);
    the last approval grants the role until now + the requested duration (an extension:
    from the current end)."""
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
    approval: Approval, *, decision: str, actor: Actor, comment: str = "", reason: str = ""
) -> None:
    """Record a stage's outcome, use up its link and record the event. An approver's
    `comment` is theirs (personal data in the event); the portal's own `reason` is
    recorded in clear, and is the stage's comment."""
    approval.decision = decision
    approval.decided_at = timezone.now()
    approval.comment = comment or reason
    approval.token_hash = ""
    approval.save()
    event_record(
        actor=actor,
        action=Action.APPROVAL_DECIDED,
        target=approval,
        subject_id=str(approval.request.person_id),
        data={
            "request": str(approval.request_id),
            "stage": approval.stage,
            "decision": decision,
            **({"reason": reason} if reason else {}),
        },
        personal={"comment": comment} if comment else None,
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


@dataclass
class OverdueOutcome:
    reminded: int = 0
    escalated: int = 0
    rejected: int = 0


def approvals_overdue_process(*, actor: Actor, now: datetime | None = None) -> OverdueOutcome:
    """Chase approvals past their deadline: the first time, a reminder with a fresh link
    and a grace period; after that, escalation to the approver's manager (with a new
    deadline) or rejection, as the role's on_timeout says. Escalation that finds no manager
    other than the requester or the person rejects."""
    now = now or timezone.now()
    outcome = OverdueOutcome()
    overdue = Approval.objects.filter(decision=Decision.PENDING, deadline__lte=now)
    for pk in overdue.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            approval = (
                Approval.objects.select_for_update()
                .filter(pk=pk, decision=Decision.PENDING, deadline__lte=now)
                .select_related("request__role", "request__person", "request__requested_by")
                .first()
            )
            if approval is None:
                continue  # decided meanwhile
            if approval.reminded_at is None:
                _remind(approval, actor=actor, now=now)
                outcome.reminded += 1
            elif _escalate(approval, actor=actor):
                outcome.escalated += 1
            else:
                _decide(
                    approval,
                    approve=False,
                    comment="no answer by the deadline",
                    actor=actor,
                    reason=f"{_stage_named(approval)} had no answer by the deadline",
                )
                outcome.rejected += 1
    return outcome


def _remind(approval: Approval, *, actor: Actor, now: datetime) -> None:
    approval.reminded_at = now
    approval.deadline = now + timedelta(hours=settings.APPROVAL_REMINDER_GRACE_HOURS)
    _stage_open(approval, template="approval_reminder")
    event_record(
        actor=actor,
        action=Action.APPROVAL_REMINDED,
        target=approval,
        subject_id=str(approval.request.person_id),
        data={"request": str(approval.request_id), "stage": approval.stage},
    )


def _escalate(approval: Approval, *, actor: Actor) -> bool:
    request = approval.request
    if request.role.on_timeout != request.role.OnTimeout.ESCALATE:
        return False
    manager = _manager_email(approval.approver_email)
    excluded = _excluded(person=request.person, requested_by=request.requested_by)
    target = _independent(manager, excluded) if manager else None
    if target is None:
        return False
    _hand_on(approval, target=target, actor=actor, reason="no answer by the deadline")
    return True


def _hand_on(approval: Approval, *, target: str, actor: Actor, reason: str) -> Approval:
    """Close an open stage as escalated and address it again to `target`: at once, with a
    fresh link, if it was the pending stage; when its turn comes, if it was waiting."""
    was_pending = approval.decision == Decision.PENDING
    approval.decision = Decision.ESCALATED
    approval.token_hash = ""
    approval.decided_at = timezone.now()
    approval.save()
    successor = Approval.objects.create(
        request=approval.request,
        stage=approval.stage,
        kind=approval.kind,
        approver_email=target,
        escalated_from=approval,
        sod_rule_id=approval.sod_rule_id,
    )
    if was_pending:
        _stage_open(successor)
    event_record(
        actor=actor,
        action=Action.APPROVAL_ESCALATED,
        target=approval,
        subject_id=str(approval.request.person_id),
        data={
            "request": str(approval.request_id),
            "stage": approval.stage,
            "to": str(successor.pk),
            "reason": reason,
        },
    )
    return successor


def approvals_owner_change(*, role: Role, previous_owner_email: str, actor: Actor) -> int:
    """Hand the role's open owner stages from its previous owner to its owner now, so that
    a request does not wait on someone who no longer answers for the role. Independence
    holds as when the request was made: a new owner who is the requester or the person is
    passed over for their manager, and with no one left the request is rejected.
    Returns how many stages were handed on."""
    return _readdress(
        Approval.objects.filter(
            selectors.APPROVAL_OPEN,
            kind=Kind.OWNER,
            request__role=role,
            approver_email__iexact=previous_owner_email,
        ),
        previous_email=previous_owner_email,
        email=role.owner.email,
        actor=actor,
        reason="the role changed owner",
    )


def approvals_reviewer_change(*, rule: SodRule, previous: SodRule, actor: Actor) -> int:
    """Hand the open stages this rule added on from its reviewer as it was (`previous`,
    read before the save) to its reviewer now, with the same independence as an owner
    change. Only the rule's own stages move: another rule's review, even by the same
    reviewer, stays where it is. A rule that no longer asks for a review hands nothing on
    (it refuses: requests_reject_for_rule). Returns how many stages were handed on."""
    if (
        rule.effect != SodRule.Effect.EXTRA_APPROVAL
        or rule.extra_approver is None
        or previous.extra_approver is None
    ):
        return 0
    return _readdress(
        selectors.reviews_open_for(rule=rule),
        previous_email=previous.extra_approver.email,
        email=rule.extra_approver.email,
        actor=actor,
        reason="the separation-of-duties rule changed reviewer",
    )


def _readdress(
    stages: QuerySet[Approval], *, previous_email: str, email: str, actor: Actor, reason: str
) -> int:
    """Hand these open stages on to `email`; nothing moves when the address did not change."""
    if not previous_email or previous_email.lower() == email.lower():
        return 0
    return _hand_on_all(stages, start=email, actor=actor, reason=reason)


def requests_reject_for_rule(*, rule: SodRule, actor: Actor) -> int:
    """Reject the pending requests that a review this rule asked for is still open on, now
    that the rule refuses the combination instead: approving the other stages must not
    grant what the rule refuses. The review's stage says why, the requester is told as of
    any rejection, and the request's links stop working. Returns how many were rejected."""
    rejected = 0
    for approval in _locked(selectors.reviews_open_for(rule=rule)):
        _reject_at(approval, comment=RULE_REFUSES, actor=actor)
        rejected += 1
    return rejected


def approvals_withdraw_for_rule(*, rule: SodRule, actor: Actor) -> int:
    """Withdraw the open reviews this rule asked for, as it is removed: no request should
    wait on a review no rule asks for. Each is skipped, saying why, and its link stops
    working; a request whose pending stage it was moves on as after an approval, to its
    next stage or, with none left, to the grant. Returns how many were withdrawn."""
    withdrawn = 0
    for approval in _locked(selectors.reviews_open_for(rule=rule)):
        was_pending = approval.decision == Decision.PENDING
        _stage_close(approval, decision=Decision.SKIPPED, reason=RULE_REMOVED, actor=actor)
        if was_pending:
            _advance(approval.request, actor=actor)
        withdrawn += 1
    return withdrawn


def approvals_hand_over(*, leaver: Person, actor: Actor) -> int:
    """Hand the open approvals addressed to a leaver on at once, instead of leaving them
    to wait for their deadline: to the nearest manager above the leaver who is neither the
    requester nor the person asking, as an escalation would, whatever the role's on_timeout
    (an approver leaving is not an unanswered request). A request left with no one who may
    decide a stage is rejected, so that its requester hears of it and can ask again.
    Returns how many approvals were handed on."""
    addressed = selectors.approvals_addressed_to(leaver).filter(selectors.APPROVAL_OPEN)
    manager = _primary_email(leaver.manager_id) if leaver.manager_id else None
    return _hand_on_all(addressed, start=manager, actor=actor, reason="the approver left")


def _hand_on_all(
    stages: QuerySet[Approval], *, start: str | None, actor: Actor, reason: str
) -> int:
    """Hand each open stage on to `start`, or to the nearest manager above `start` who may
    decide that stage's request; reject, once, a request for which there is no one."""
    handed = 0
    rejected: set[UUID] = set()
    for approval in _locked(stages):
        request = approval.request
        if request.pk in rejected:
            continue  # an earlier stage of it found no one; its stages are skipped
        excluded = _excluded(person=request.person, requested_by=request.requested_by)
        target = _independent(start, excluded) if start else None
        if target is None:
            _reject_at(approval, comment=f"{reason}, and no one above them may decide", actor=actor)
            rejected.add(request.pk)
            continue
        _hand_on(approval, target=target, actor=actor, reason=reason)
        handed += 1
    return handed


def _locked(stages: QuerySet[Approval]) -> QuerySet[Approval]:
    """These stages locked, in order, with what closing or handing them on reads."""
    return (
        stages.select_for_update(of=("self",))
        .select_related("request__person", "request__role", "request__requested_by")
        .order_by("request_id", "stage")
    )


def _reject_at(approval: Approval, *, comment: str, actor: Actor) -> None:
    """Reject the approval's request at this open stage, whose comment says why."""
    approval.comment = comment
    approval.save(update_fields=["comment"])
    _request_close(
        approval.request, status=AccessRequest.Status.REJECTED, actor=actor, reason=comment
    )
