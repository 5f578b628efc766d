"""Approval stages that change hands after a request was made: unanswered ones are
reminded once, then escalated to the approver's manager or rejected, as the role says; a
role's new owner, a rule's new reviewer or the manager of an approver who left takes
over the open ones; a rule that now refuses rejects the requests its reviews are open
on, and a removed rule's reviews are withdrawn. Independence holds as when the request
was made (_stages.independent_approver): no one decides their own request or their
own access.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Action
from provisioning import selectors
from provisioning.models import AccessRequest, Approval, Person, Role, SodRule
from provisioning.services._stages import (
    advance,
    approval_event,
    decide,
    excluded_identities,
    independent_approver,
    manager_email,
    primary_email,
    request_close,
    stage_close,
    stage_named,
    stage_open,
)

Decision = Approval.Decision
Kind = Approval.Kind
RULE_REFUSES = "the separation-of-duties rule now refuses this combination"
RULE_REMOVED = "the separation-of-duties rule that asked for this review was removed"


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
                decide(
                    approval,
                    approve=False,
                    comment="no answer by the deadline",
                    actor=actor,
                    reason=f"{stage_named(approval)} had no answer by the deadline",
                )
                outcome.rejected += 1
    return outcome


def _remind(approval: Approval, *, actor: Actor, now: datetime) -> None:
    approval.reminded_at = now
    approval.deadline = now + timedelta(hours=settings.APPROVAL_REMINDER_GRACE_HOURS)
    stage_open(approval, template="approval_reminder")
    approval_event(approval, action=Action.APPROVAL_REMINDED, actor=actor)


def _escalate(approval: Approval, *, actor: Actor) -> bool:
    request = approval.request
    if request.role.on_timeout != request.role.OnTimeout.ESCALATE:
        return False
    manager = manager_email(approval.approver_email)
    excluded = excluded_identities(person=request.person, requested_by=request.requested_by)
    target = independent_approver(manager, excluded) if manager else None
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
        stage_open(successor)
    approval_event(
        approval,
        action=Action.APPROVAL_ESCALATED,
        actor=actor,
        data={"to": str(successor.pk), "reason": reason},
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
        stage_close(approval, decision=Decision.SKIPPED, reason=RULE_REMOVED, actor=actor)
        if was_pending:
            advance(approval.request, actor=actor)
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
    manager = primary_email(leaver.manager_id) if leaver.manager_id else None
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
        excluded = excluded_identities(person=request.person, requested_by=request.requested_by)
        target = independent_approver(start, excluded) if start else None
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
    request_close(
        approval.request, status=AccessRequest.Status.REJECTED, actor=actor, reason=comment
    )
