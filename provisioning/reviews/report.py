"""A run's evidence as rows: one per item, saying who reviewed what and when, the decision
with its comment, and the remediation with its audit event number. The CSV streams them."""

from collections.abc import Iterator
from typing import Any

from provisioning.models import CampaignRun, ReviewItem
from provisioning.reviews.selectors import run_items

REPORT_COLUMNS = (
    "item",
    "person",
    "person_id",
    "access",
    "kind",
    "risk_level",
    "granted_by",
    "granted_at",
    "last_used",
    "reviewer",
    "routed",
    "decision",
    "shorten_to",
    "comment",
    "decided_by",
    "decided_at",
    "by_rule",
    "remediated_at",
    "remediation_event",
)


def report_row(item: ReviewItem) -> dict[str, Any]:
    return {
        "item": item.pk,
        "person": str(item.person),
        "person_id": str(item.person_id),
        "access": item.held,
        "kind": item.kind,
        "risk_level": item.risk_level,
        "granted_by": item.granted_by,
        "granted_at": item.granted_at.isoformat() if item.granted_at else "",
        "last_used": item.last_used_at.isoformat() if item.last_used_at else "unknown",
        "reviewer": item.reviewer_email or "no independent reviewer",
        "routed": item.get_routing_display(),
        "decision": item.decision,
        "shorten_to": item.shorten_to.isoformat() if item.shorten_to else "",
        "comment": item.comment,
        "decided_by": item.decided_by,
        "decided_at": item.decided_at.isoformat() if item.decided_at else "",
        "by_rule": item.by_rule,
        "remediated_at": item.remediated_at.isoformat() if item.remediated_at else "",
        "remediation_event": item.remediation_event or "",
    }


def report_rows(run: CampaignRun) -> Iterator[dict[str, Any]]:
    for item in run_items(run).iterator(chunk_size=1000):
        yield report_row(item)
