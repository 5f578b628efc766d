"""What access reviews hold about a person, registered with the export and erasure
engines of compliance.dsar: the review items about their access, and the items and
assignments they were asked to review. Erasure blanks the free text (the frozen grant
reason, the reviewer's comment) and the reviewer's address; the pseudonymous facts of who
decided what stay as the review's evidence, as the audit trail's events do."""

from typing import Any

from django.db.models import Q, QuerySet

from compliance import inventory
from compliance.audit.actor import Actor
from compliance.dsar.collectors import Records, register_collector
from compliance.dsar.erasers import LOCAL, register_eraser
from compliance.dsar.package import register_subject_models
from provisioning.models import Person, ReviewAssignment, ReviewItem

ERASED_REVIEWER = "erased-reviewer@invalid.example"


def _addresses(person: Person) -> list[str]:
    return [address.lower() for address in person.emails.values_list("value", flat=True)]


def _reviewed_by(person: Person) -> Q:
    return Q(reviewer_email__in=_addresses(person))


def review_items(person: Person) -> Records:
    """The reviews of the person's access, then the items the person was asked to review."""
    own = ReviewItem.objects.filter(person=person)
    given = ReviewItem.objects.filter(_reviewed_by(person)).exclude(person=person)
    for role, rows in (("subject", own), ("reviewer", given)):
        for item in _shown(rows).iterator(chunk_size=500):
            yield {
                "as": role,
                "campaign": item.run.campaign.name,
                "access": item.held,
                "granted_by": item.granted_by,
                "granted_at": item.granted_at,
                "reason": item.grant_reason if role == "subject" else "",
                "decision": item.decision,
                "shorten_to": item.shorten_to,
                "comment": item.comment,
                "decided_at": item.decided_at,
            }


def _shown(rows: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    return rows.select_related("run__campaign", "role", "entitlement", "group").order_by("pk")


def review_items_erase(person: Person, actor: Actor) -> dict[str, Any]:
    """Blank the free text about the person and their address as a reviewer."""
    blanked = ReviewItem.objects.filter(person=person).update(grant_reason="", comment="")
    addresses = _addresses(person)
    reviewed = ReviewItem.objects.filter(reviewer_email__in=addresses).update(
        reviewer_email=ERASED_REVIEWER, comment=""
    )
    assignments = ReviewAssignment.objects.filter(reviewer_email__in=addresses).update(
        reviewer_email=ERASED_REVIEWER, token_hash=""
    )
    return {"review_items_blanked": blanked + reviewed, "review_assignments_blanked": assignments}


def register() -> None:
    register_subject_models("provisioning.ReviewItem", "provisioning.ReviewAssignment")
    register_collector("access-reviews", inventory.Category.ACCESS, review_items)
    register_eraser("access-reviews", "access review items", review_items_erase, order=LOCAL)
