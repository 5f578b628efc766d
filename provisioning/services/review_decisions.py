"""Deciding review items and carrying the decisions out. A reviewer keeps, revokes or
shortens each item once, from their e-mailed link or the admin; keeping high-risk access
needs a comment. A revocation ends the grant or membership through the access and group
services, or the downstream account through the connectors' (their audit events, the
downstream push, and an e-mail to the holder); at the
deadline the campaign's rule decides what is left. Every decision and every remediation is
an audit event, and the item keeps the remediation's event number for the report."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, events_record
from compliance.audit.vocabulary import Action, ActorKind, Channel
from provisioning.connectors import services as connectors
from provisioning.emails import email_send
from provisioning.errors import NotYourApprovalError, ReviewDecisionError
from provisioning.models import (
    AccessGrant,
    Campaign,
    CampaignRun,
    Group,
    PersonEmail,
    ReviewAssignment,
    ReviewItem,
)
from provisioning.services import access, groups
from provisioning.services.review_links import review_link, review_link_open
from provisioning.services.reviews import review_email
from provisioning.services.signed_links import nonce_new

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

Decision = ReviewItem.Decision
PENDING = Decision.PENDING
RULE = "the campaign's rule at the deadline"


@dataclass(frozen=True)
class ItemDecision:
    """A reviewer's decision on one item, as posted."""

    item_id: int
    decision: str
    comment: str = ""
    shorten_to: date | None = None


@dataclass
class DeadlineOutcome:
    kept: int = 0
    revoked: int = 0
    escalated: int = 0
    closed: int = 0
    overdue: int = 0


def reviewer_actor(assignment: ReviewAssignment, *, client_address: str | None = None) -> Actor:
    """The actor for a decision through a review link: the assignment identifies the
    reviewer (their address stays out of the audit trail's clear text)."""
    return Actor(
        kind=ActorKind.APPROVER,
        identifier=str(assignment.pk),
        label="reviewer (access review link)",
        channel=Channel.EMAIL_LINK,
        client_address=client_address,
    )


def review_decide_by_link(
    *, token: str, decisions: Sequence[ItemDecision], client_address: str | None = None
) -> list[ReviewItem]:
    """Decide items through a reviewer's link: only that reviewer's undecided items."""
    with transaction.atomic():
        assignment = review_link_open(
            token, queryset=ReviewAssignment.objects.select_for_update(of=("self",))
        )
        actor = reviewer_actor(assignment, client_address=client_address)
        return _decide(assignment.items.all(), decisions, actor=actor)


def review_decide_as_staff(
    *, user: "_User", decisions: Sequence[ItemDecision], actor: Actor
) -> list[ReviewItem]:
    """Decide items from the admin: only items addressed to the staff member's address,
    in a review still open."""
    if not user.email:
        raise NotYourApprovalError
    with transaction.atomic():
        mine = ReviewItem.objects.filter(
            assignment__reviewer_email__iexact=user.email,
            run__status__in=[CampaignRun.Status.OPEN, CampaignRun.Status.ESCALATED],
        )
        if mine.filter(pk__in=[d.item_id for d in decisions]).count() != len(decisions):
            raise NotYourApprovalError
        return _decide(mine, decisions, actor=actor)


def _decide(
    allowed: QuerySet[ReviewItem], decisions: Sequence[ItemDecision], *, actor: Actor
) -> list[ReviewItem]:
    """Record the decisions (each item once), their events, and carry them out."""
    wanted = {d.item_id: d for d in decisions}
    items = list(
        allowed.filter(pk__in=wanted)
        .select_for_update(of=("self",))
        .select_related("run__campaign", "role", "entitlement", "group", "person")
        .order_by("pk")
    )
    if len(items) != len(wanted):
        raise ReviewDecisionError("one of these items is not yours to decide")
    now = timezone.now()
    for item in items:
        _apply(item, wanted[item.pk], now=now, actor=actor)
    ReviewItem.objects.bulk_update(
        items, ["decision", "comment", "shorten_to", "decided_at", "decided_by"], batch_size=500
    )
    _decision_events(items, actor=actor)
    remediate(items, actor=actor)
    return items


def _apply(item: ReviewItem, decision: ItemDecision, *, now: datetime, actor: Actor) -> None:
    """Check one decision against the rules and set it on the item."""
    if item.decision != PENDING:
        raise ReviewDecisionError(f"{item.held} for {item.person} was already decided")
    if decision.decision not in (Decision.KEEP, Decision.REVOKE, Decision.SHORTEN):
        raise ReviewDecisionError("choose keep, revoke or shorten", field="decision")
    comment = decision.comment.strip()
    if decision.decision == Decision.KEEP and item.high_risk and not comment:
        raise ReviewDecisionError(
            f"keeping high-risk access ({item.held} for {item.person}) needs a comment",
            field="comment",
        )
    if decision.decision == Decision.SHORTEN:
        _check_shorten(item, decision.shorten_to, today=now.date())
        item.shorten_to = decision.shorten_to
    item.decision = decision.decision
    item.comment = comment
    item.decided_at = now
    item.decided_by = actor.label


def _check_shorten(item: ReviewItem, until: date | None, *, today: date) -> None:
    if item.kind != ReviewItem.Kind.GRANT:
        raise ReviewDecisionError(f"a {item.get_kind_display()} has no end date: keep or revoke it")
    if until is None or until <= today:
        raise ReviewDecisionError("shorten to a date after today", field="shorten_to")
    if item.expires_at and _end_of(until) >= item.expires_at:
        raise ReviewDecisionError(
            f"the access already ends on {item.expires_at:%d %b %Y}: choose an earlier date",
            field="shorten_to",
        )


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _decision_events(items: Sequence[ReviewItem], *, actor: Actor) -> None:
    events_record(
        actor=actor,
        entries=[
            Entry(
                Action.REVIEW_DECIDED,
                item,
                subject_id=str(item.person_id),
                data={
                    "run": str(item.run_id),
                    "item": item.pk,
                    "decision": item.decision,
                    "by_rule": item.by_rule,
                    **_about(item),
                    **({"shorten_to": item.shorten_to.isoformat()} if item.shorten_to else {}),
                },
                personal={"comment": item.comment} if item.comment else None,
            )
            for item in items
        ],
    )


def _about(item: ReviewItem) -> dict[str, str]:
    if item.grant_id:
        return {"grant": str(item.grant_id)}
    if item.kind == ReviewItem.Kind.ACCOUNT:
        return {"account": str(item.account_id), "application": str(item.application_id)}
    return {"group": str(item.group_id)}


# --- remediation -------------------------------------------------------------------------


def remediate(items: Sequence[ReviewItem], *, actor: Actor) -> None:
    """Carry out the revocations and shortenings among these decided items: through the
    grant and group services, one remediation event per item (its number kept on the
    item), and one e-mail to each holder who lost access."""
    revoked = [item for item in items if item.decision == Decision.REVOKE]
    shortened = [item for item in items if item.decision == Decision.SHORTEN]
    if not revoked and not shortened:
        return
    reason = f"access review {items[0].run.campaign.name}"
    _revoke(revoked, actor=actor, reason=reason)
    for item in shortened:
        assert item.shorten_to is not None  # checked on deciding, as that it is a grant
        assert item.grant_id is not None
        AccessGrant.objects.filter(pk=item.grant_id, status=AccessGrant.Status.ACTIVE).update(
            expires_at=_end_of(item.shorten_to)
        )
    now = timezone.now()
    done = [*revoked, *shortened]
    # Sequenced now: each item keeps the number of the event that carried it out.
    events = events_record(
        actor=actor,
        sequenced=True,
        entries=[
            Entry(
                Action.REVIEW_REMEDIATED,
                item,
                subject_id=str(item.person_id),
                data={"run": str(item.run_id), "item": item.pk, "decision": item.decision}
                | _about(item)
                | ({"ends": _end_of(item.shorten_to).isoformat()} if item.shorten_to else {}),
            )
            for item in done
        ],
    )
    for item, event in zip(done, events, strict=True):
        item.remediation_event = event.sequence
        item.remediated_at = now
    ReviewItem.objects.bulk_update(done, ["remediation_event", "remediated_at"], batch_size=500)
    _tell_holders(revoked)


def _revoke(items: Sequence[ReviewItem], *, actor: Actor, reason: str) -> None:
    grant_ids = [item.grant_id for item in items if item.grant_id]
    if grant_ids:
        access.grants_end(
            grants=AccessGrant.objects.filter(pk__in=grant_ids), actor=actor, reason=reason
        )
    by_group: dict[UUID, list[UUID]] = defaultdict(list)
    for item in items:
        if item.group_id:
            by_group[item.group_id].append(item.person_id)
    for group in Group.objects.filter(pk__in=by_group):
        groups.group_members_remove(group=group, person_ids=by_group[group.pk], actor=actor)
    account_ids = [item.account_id for item in items if item.account_id]
    if account_ids:
        connectors.accounts_revoke(account_ids=account_ids, actor=actor, reason=reason)


def _tell_holders(revoked: Sequence[ReviewItem]) -> None:
    """One e-mail to each holder, listing what the review took away."""
    by_person: dict[UUID, list[ReviewItem]] = defaultdict(list)
    for item in revoked:
        by_person[item.person_id].append(item)
    addresses = dict(
        PersonEmail.objects.filter(person_id__in=by_person)
        .order_by("person_id", "primary", "-id")
        .values_list("person_id", "value")
    )  # the last row per person wins: the primary, else the first address
    for person_id, lost in by_person.items():
        if person_id not in addresses:
            continue
        email_send(
            to=[addresses[person_id]],
            template="review_access_revoked",
            context={"person": lost[0].person, "items": lost, "campaign": lost[0].run.campaign},
            about=[lost[0].person],
        )


# --- the deadline and reminders ------------------------------------------------------------


def reviews_deadline_process(*, actor: Actor, now: datetime | None = None) -> DeadlineOutcome:
    """Apply each overdue run's rule to its undecided items: keep them, revoke them, or
    escalate them to the fallback reviewer for one more reminder interval. An escalated run
    past its new deadline closes with what is still undecided kept and reported overdue."""
    now = now or timezone.now()
    outcome = DeadlineOutcome()
    due = CampaignRun.objects.filter(deadline__lte=now).exclude(status=CampaignRun.Status.CLOSED)
    for run_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            run = (
                CampaignRun.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("campaign__fallback_reviewer")
                .filter(pk=run_id, deadline__lte=now)
                .exclude(status=CampaignRun.Status.CLOSED)
                .first()
            )
            if run is not None:
                _at_deadline(run, actor=actor, now=now, outcome=outcome)
    return outcome


def _at_deadline(
    run: CampaignRun, *, actor: Actor, now: datetime, outcome: DeadlineOutcome
) -> None:
    rule = run.campaign.on_undecided
    pending = run.items.filter(decision=PENDING)
    if run.status == CampaignRun.Status.OPEN and rule == Campaign.Undecided.ESCALATE:
        outcome.escalated += _escalate(run, pending, actor=actor, now=now)
        return
    if run.status == CampaignRun.Status.OPEN:
        decision = Decision.KEEP if rule == Campaign.Undecided.KEEP else Decision.REVOKE
        items = list(
            pending.select_for_update(of=("self",)).select_related(
                "run__campaign", "role", "entitlement", "group", "person"
            )
        )
        for item in items:
            item.decision, item.by_rule, item.decided_at, item.decided_by = (
                decision,
                True,
                now,
                RULE,
            )
        ReviewItem.objects.bulk_update(
            items, ["decision", "by_rule", "decided_at", "decided_by"], batch_size=500
        )
        _decision_events(items, actor=actor)
        remediate(items, actor=actor)
        if decision == Decision.KEEP:
            outcome.kept += len(items)
        else:
            outcome.revoked += len(items)
    overdue = pending.count()
    outcome.overdue += overdue
    _close(run, actor=actor, now=now, overdue=overdue)
    outcome.closed += 1


def _escalate(
    run: CampaignRun, pending: QuerySet[ReviewItem], *, actor: Actor, now: datetime
) -> int:
    """Hand the undecided items to the fallback reviewer, with a fresh link and a new
    deadline one reminder interval away."""
    campaign = run.campaign
    ids = list(pending.values_list("pk", "person_id"))
    run.status = CampaignRun.Status.ESCALATED
    run.deadline = now + campaign.reminder_interval
    run.save(update_fields=["status", "deadline"])
    if not ids:
        return 0
    fallback = campaign.fallback_reviewer.email.lower()
    nonce, digest = nonce_new()
    assignment, _ = ReviewAssignment.objects.update_or_create(
        run=run,
        reviewer_email=fallback,
        defaults={"token_hash": digest, "notified_at": now},
    )
    ReviewItem.objects.filter(pk__in=[pk for pk, _ in ids]).update(
        assignment=assignment, reviewer_email=fallback, routing=ReviewItem.Routing.ESCALATED
    )
    events_record(
        actor=actor,
        entries=[
            Entry(
                Action.REVIEW_ESCALATED,
                ("provisioning.reviewitem", str(pk)),
                subject_id=str(person_id),
                data={"run": str(run.pk), "item": pk, "to": str(assignment.pk)},
            )
            for pk, person_id in ids
        ],
    )
    review_email(assignment, path=review_link(assignment, nonce), template="review_escalated")
    return len(ids)


def _close(run: CampaignRun, *, actor: Actor, now: datetime, overdue: int) -> None:
    run.status = CampaignRun.Status.CLOSED
    run.closed_at = now
    run.save(update_fields=["status", "closed_at"])
    ReviewAssignment.objects.filter(run=run).update(token_hash="")
    events_record(
        actor=actor,
        entries=[
            Entry(
                Action.REVIEW_CLOSED,
                run,
                data={"run": str(run.pk), "campaign": str(run.campaign_id), "overdue": overdue},
            )
        ],
    )


def reviews_remind(*, actor: Actor, now: datetime | None = None) -> int:
    """Remind each reviewer of an open run who still has undecided items, once per the
    campaign's reminder interval, with a fresh link (the older one stops working)."""
    now = now or timezone.now()
    waiting = ReviewItem.objects.filter(assignment=OuterRef("pk"), decision=PENDING)
    assignments = (
        ReviewAssignment.objects.filter(Exists(waiting))
        .exclude(run__status=CampaignRun.Status.CLOSED)
        .select_related("run__campaign")
        .annotate(pending=Count("items", filter=Q(items__decision=PENDING)))
    )
    reminded = 0
    for assignment in assignments.iterator(chunk_size=200):
        last = assignment.reminded_at or assignment.notified_at or assignment.run.started_at
        if last + assignment.run.campaign.reminder_interval > now:
            continue
        with transaction.atomic():
            nonce, digest = nonce_new()
            if not ReviewAssignment.objects.filter(
                pk=assignment.pk, reminded_at=assignment.reminded_at
            ).update(token_hash=digest, reminded_at=now):
                continue  # another run reminded them
            events_record(
                actor=actor,
                entries=[
                    Entry(
                        Action.REVIEW_REMINDED,
                        assignment,
                        data={"run": str(assignment.run_id), "pending": assignment.pending},
                    )
                ],
            )
            review_email(
                assignment, path=review_link(assignment, nonce), template="review_reminder"
            )
            reminded += 1
    return reminded
