"""The access report: who holds what, since when, granted by whom and why.

Access comes from sources: active grants of roles and of single entitlements (with their
own grantor, reason and expiry) and group memberships (whose grantor is the actor of the
audit event that added the person to the group). Each shows its last access review: the
decision and its date, from the review items frozen from it. Another kind of access becomes one more
class with the two methods of AccessSource, added to ACCESS_SOURCES: the page, the
pagination and the CSV follow.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import islice
from typing import Any, Protocol, overload
from uuid import UUID

from django.db.models import OuterRef, QuerySet

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from provisioning.models import AccessGrant, Membership
from provisioning.reviews.selectors import last_review_annotations, last_review_label

CHUNK = 1000
UNKNOWN = "unknown (no audit event)"


@dataclass(frozen=True)
class Holding:
    person_id: str
    person: str
    kind: str
    holds: str
    since: datetime
    granted_by: str
    granted_via: str
    why: str
    last_review: str = "never reviewed"


HOLDING_COLUMNS = tuple(Holding.__dataclass_fields__)


class AccessSource(Protocol):
    def rows(self, *, person_id: UUID | None) -> QuerySet[Any]:
        """What is held, ordered, with what holdings() needs selected."""

    def holdings(self, rows: Sequence[Any]) -> list[Holding]:
        """Those rows as holdings, in a fixed number of queries however many rows."""


class GroupMemberships:
    kind = "group membership"

    def rows(self, *, person_id: UUID | None) -> QuerySet[Membership]:
        memberships = (
            Membership.objects.select_related("person", "group")
            .annotate(**last_review_annotations(group=OuterRef("group_id")))
            .order_by("person__user_name", "group__display_name", "pk")
        )
        return memberships.filter(person_id=person_id) if person_id else memberships

    def holdings(self, rows: Sequence[Membership]) -> list[Holding]:
        added = self._latest_additions(rows)
        holdings = []
        for membership in rows:
            event = added.get((str(membership.person_id), str(membership.group_id)))
            group = membership.group.display_name
            holdings.append(
                Holding(
                    person_id=str(membership.person_id),
                    person=str(membership.person),
                    kind=self.kind,
                    holds=group,
                    since=membership.created,
                    granted_by=event.actor_label if event else UNKNOWN,
                    granted_via=event.channel if event else "",
                    why=(event.data.get("reason") if event else None)
                    or f"member of the group {group}",
                    last_review=last_review_label(membership),
                )
            )
        return holdings

    def _latest_additions(self, rows: Sequence[Membership]) -> dict[tuple[str, str], AuditEvent]:
        """The event that added each person to each group: the latest, since an earlier one
        belongs to a membership that has since ended."""
        if not rows:
            return {}
        events = (
            AuditEvent.objects.filter(
                action=Action.GROUP_MEMBERS_ADDED,
                subject_id__in={str(m.person_id) for m in rows},
                target_id__in={str(m.group_id) for m in rows},
            )
            .order_by("sequence")
            .only("subject_id", "target_id", "actor_label", "channel", "data")
        )
        return {(event.subject_id, event.target_id): event for event in events}


class Grants:
    def rows(self, *, person_id: UUID | None) -> QuerySet[AccessGrant]:
        grants = (
            AccessGrant.objects.filter(status=AccessGrant.Status.ACTIVE)
            .select_related("person", "role", "entitlement__application")
            .annotate(**last_review_annotations(grant=OuterRef("pk")))
            .order_by("person__user_name", "role__name", "entitlement__name", "pk")
        )
        return grants.filter(person_id=person_id) if person_id else grants

    def holdings(self, rows: Sequence[AccessGrant]) -> list[Holding]:
        return [
            Holding(
                person_id=str(grant.person_id),
                person=str(grant.person),
                kind="role grant" if grant.role_id else "entitlement grant",
                holds=str(grant.held)
                + (f" (until {grant.expires_at:%Y-%m-%d})" if grant.expires_at else ""),
                since=grant.starts_at,
                granted_by=grant.granted_by or UNKNOWN,
                granted_via=grant.get_source_display(),
                why=grant.reason,
                last_review=last_review_label(grant),
            )
            for grant in rows
        ]


ACCESS_SOURCES: tuple[AccessSource, ...] = (Grants(), GroupMemberships())


class AccessHoldings:
    """Every source's holdings one after another, sliceable for a Paginator: a page reads
    only the rows it shows."""

    def __init__(self, *, person_id: UUID | None = None) -> None:
        self.parts = [(source, source.rows(person_id=person_id)) for source in ACCESS_SOURCES]

    @cached_property
    def sizes(self) -> list[int]:
        return [rows.count() for _, rows in self.parts]

    def count(self) -> int:
        return sum(self.sizes)

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, window: int) -> Holding: ...

    @overload
    def __getitem__(self, window: slice) -> list[Holding]: ...

    def __getitem__(self, window: int | slice) -> Holding | list[Holding]:
        if isinstance(window, int):
            return self[window : window + 1][0]
        start, stop = window.start or 0, self.count() if window.stop is None else window.stop
        page: list[Holding] = []
        for (source, rows), size in zip(self.parts, self.sizes, strict=True):
            if start < size and stop > 0:
                page.extend(source.holdings(list(rows[max(start, 0) : min(stop, size)])))
            start, stop = start - size, stop - size
        return page

    def __iter__(self) -> Iterator[Holding]:
        """All holdings, streamed in chunks (for the CSV)."""
        for source, rows in self.parts:
            stream = rows.iterator(chunk_size=CHUNK)
            while chunk := list(islice(stream, CHUNK)):
                yield from source.holdings(chunk)
