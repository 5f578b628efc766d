"""How the outbox stands, for the dashboard and the connector list."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from compliance.outbox.consumer import FAILED
from compliance.outbox.models import OutboxMessage


@dataclass(frozen=True)
class Backlog:
    waiting: int  # not yet handed to the broker
    oldest: datetime | None  # when the oldest waiting one was written
    in_flight: int  # handed over, not yet done
    last_error: str = ""
    failed: int = 0  # given up by their task, among those kept (OUTBOX_KEEP_DAYS)

    def age(self, now: datetime | None = None) -> timedelta | None:
        return None if self.oldest is None else (now or timezone.now()) - self.oldest


def outbox_backlog(*, topic_prefix: str = "") -> Backlog:
    """Counts in one aggregate query, plus one for the latest error when rows wait."""
    rows = OutboxMessage.objects.all()
    if topic_prefix:
        rows = rows.filter(topic__startswith=topic_prefix)
    waiting = Q(sent_at__isnull=True, delivered_at__isnull=True)
    counts = rows.aggregate(
        waiting=Count("pk", filter=waiting),
        oldest=Min("created_at", filter=waiting),
        in_flight=Count("pk", filter=Q(sent_at__isnull=False, delivered_at__isnull=True)),
        failed=Count("pk", filter=Q(last_error__startswith=FAILED)),
    )
    open_rows = rows.filter(delivered_at__isnull=True)
    last_error = ""
    if counts["waiting"]:
        last_error = (
            open_rows.filter(waiting)
            .exclude(last_error="")
            .order_by("-attempts", "created_at")
            .values_list("last_error", flat=True)
            .first()
            or ""
        )
    return Backlog(
        counts["waiting"], counts["oldest"], counts["in_flight"], last_error, counts["failed"]
    )


def waiting_by_topic(*, topic_prefix: str) -> dict[str, tuple[int, datetime]]:
    """Rows not yet handed to the broker per topic: (count, oldest), in one query."""
    rows = (
        OutboxMessage.objects.filter(sent_at__isnull=True, topic__startswith=topic_prefix)
        .values("topic")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by()
    )
    return {row["topic"]: (row["count"], row["oldest"]) for row in rows}
