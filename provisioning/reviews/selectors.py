"""Reads of access reviews shaped for their pages: a reviewer's items, and a run's
evidence (decisions, remediations, completion per reviewer, overdue items)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from provisioning.models import CampaignRun, ReviewAssignment, ReviewItem

PENDING = ReviewItem.Decision.PENDING
ITEM_RELATIONS = ("person", "role", "entitlement__application", "group", "application")


def items_for_review(assignment: ReviewAssignment) -> QuerySet[ReviewItem]:
    """A reviewer's items, undecided first, with what their rows show."""
    return (
        assignment.items.select_related(*ITEM_RELATIONS)
        .annotate(undecided=Q(decision=PENDING))
        .order_by("-undecided", "person__user_name", "pk")
    )


def items_for_staff(email: str) -> QuerySet[ReviewItem]:
    """The undecided items addressed to a member of staff, in reviews still open."""
    return (
        ReviewItem.objects.filter(
            assignment__reviewer_email__iexact=email,
            decision=PENDING,
            run__status__in=[CampaignRun.Status.OPEN, CampaignRun.Status.ESCALATED],
        )
        .select_related("run__campaign", *ITEM_RELATIONS)
        .order_by("run__deadline", "person__user_name", "pk")
    )


def run_items(run: CampaignRun) -> QuerySet[ReviewItem]:
    """Every item of a run with its reviewer and outcome, for the report."""
    return run.items.select_related(*ITEM_RELATIONS).order_by("reviewer_email", "pk")


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer_email: str
    total: int
    decided: int
    last_decision: datetime | None

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.total) if self.total else 100


def run_progress(run: CampaignRun) -> list[ReviewerProgress]:
    """Completion per reviewer, counted in SQL."""
    rows = (
        run.items.values("reviewer_email")
        .annotate(
            total=Count("pk"),
            decided=Count("pk", filter=~Q(decision=PENDING)),
            last=Max("decided_at"),
        )
        .order_by("reviewer_email")
    )
    return [
        ReviewerProgress(row["reviewer_email"], row["total"], row["decided"], row["last"])
        for row in rows
    ]


def run_overdue(run: CampaignRun, *, now: datetime | None = None) -> QuerySet[ReviewItem]:
    """Items still undecided after the run's deadline (or after it closed)."""
    now = now or timezone.now()
    if run.status != CampaignRun.Status.CLOSED and run.deadline > now:
        return run.items.none()
    return run_items(run).filter(decision=PENDING)


def runs_open() -> QuerySet[CampaignRun]:
    """Open runs with their completion, soonest deadline first (the dashboard)."""
    return (
        CampaignRun.objects.exclude(status=CampaignRun.Status.CLOSED)
        .select_related("campaign")
        .annotate(decided=Count("items", filter=~Q(items__decision=PENDING)))
        .order_by("deadline")
    )


def last_review_annotations(**held: Any) -> dict[str, Subquery]:
    """Annotations with the last decided review of what each row holds: `grant=` a grant,
    or `group=` a group membership (of the row's person_id)."""
    if "group" in held:
        held = {**held, "person": OuterRef("person_id")}
    last = ReviewItem.objects.filter(**held).exclude(decision=PENDING).order_by("-decided_at")
    return {
        "last_review_at": Subquery(last.values("decided_at")[:1]),
        "last_review_decision": Subquery(last.values("decision")[:1]),
    }


def last_review_label(row: Any) -> str:
    """How a holding's last review reads in the access report."""
    if row.last_review_at is None:
        return "never reviewed"
    return f"{row.last_review_decision} on {row.last_review_at:%Y-%m-%d}"
