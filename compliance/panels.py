"""What the compliance panels of the dashboard show: open breaches with their deadline,
the provisioning activity of the last 30 days drawn server-side as SVG (no JavaScript, no
CDN), data-subject requests by days left and the outbox. The portal's dashboard
(portal.dashboard) declares the panels and calls these."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action, Channel
from compliance.dsar.failures import open_requests_with_failures
from compliance.dsar.models import DataSubjectRequest
from compliance.dsar.states import OPEN
from compliance.incidents.countdown import time_left
from compliance.incidents.models import Incident
from compliance.outbox.selectors import outbox_backlog

SHOWN_INCIDENTS = 8
ACTIVITY_DAYS = 30
# Provisioning: identities, group memberships, access grants and pushes to applications.
PROVISIONING_ACTIONS = tuple(
    action.value
    for action in Action
    if action.value.split(".")[0] in {"person", "group", "grant", "push"}
)
CHANNEL_STYLE = {  # colour and legend
    Channel.ADMIN: ("#417690", "admin"),
    Channel.SCIM: ("#e8a33d", "SCIM"),
    Channel.EMAIL_LINK: ("#7aa95c", "e-mail link"),
    Channel.TASK: ("#9b6bb0", "scheduled task"),
    Channel.CLI: ("#8a8a8a", "command line"),
}


def incidents_open() -> QuerySet[Incident]:
    """Open breaches, the nearest deadline first."""
    return Incident.objects.filter(
        stage=Incident.Stage.BREACH, status=Incident.Status.OPEN
    ).order_by("aware_at")


def findings_to_triage() -> int:
    return Incident.objects.filter(
        stage=Incident.Stage.FINDING, status=Incident.Status.OPEN
    ).count()


def open_incidents_context(request: HttpRequest) -> dict[str, Any]:
    """Open breaches with their clock, and how many findings await triage."""
    shown = list(incidents_open()[: SHOWN_INCIDENTS + 1])
    rows = []
    for incident in shown[:SHOWN_INCIDENTS]:
        text, urgency = time_left(incident)
        rows.append({"incident": incident, "time_left": text, "urgency": urgency})
    return {
        "rows": rows,
        "more": len(shown) > SHOWN_INCIDENTS,
        "to_triage": findings_to_triage(),
    }


def provisioning_activity(*, since: date) -> list[dict[str, Any]]:
    """Provisioning events per day and channel since `since`, counted in SQL."""
    return list(
        AuditEvent.objects.filter(
            occurred_at__gte=timezone.make_aware(datetime.combine(since, time.min)),
            action__in=PROVISIONING_ACTIONS,
        )
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "channel")
        .annotate(count=Count("id"))
        .order_by("day", "channel")
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    colour: str
    label: str


# Drawing area of the chart, in SVG user units.
WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 640, 180, 36, 20, 24, 10


def activity_chart(*, today: date, days: int = ACTIVITY_DAYS) -> dict[str, Any]:
    """Stacked bars, one per day, one colour per channel; geometry computed here so the
    template only draws rectangles."""
    start = today - timedelta(days=days - 1)
    counts: dict[date, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for row in provisioning_activity(since=start):
        counts.setdefault(row["day"], {})[row["channel"]] = row["count"]
        totals[row["channel"]] = totals.get(row["channel"], 0) + row["count"]
    peak = max((sum(per_channel.values()) for per_channel in counts.values()), default=0)
    scale = (HEIGHT - BOTTOM - TOP) / max(peak, 1)
    slot = (WIDTH - LEFT - RIGHT) / days
    bars, ticks = [], []
    for index in range(days):
        day = start + timedelta(days=index)
        x = LEFT + index * slot + slot * 0.15
        base = float(HEIGHT - BOTTOM)
        for channel in Channel:
            count = counts.get(day, {}).get(channel.value, 0)
            if not count:
                continue
            height = count * scale
            base -= height
            colour, name = CHANNEL_STYLE[channel]
            bars.append(Bar(x, base, height, colour, f"{day:%d %b}: {count} by {name}"))
        if (days - 1 - index) % 7 == 0:  # weekly, ending today
            ticks.append({"x": x + slot * 0.35, "label": f"{day:%d %b}"})
    legend = [
        {"label": name, "colour": colour, "total": totals.get(channel, 0)}
        for channel, (colour, name) in CHANNEL_STYLE.items()
    ]
    return {
        "bars": bars,
        "bar_width": slot * 0.7,
        "ticks": ticks,
        "legend": legend,
        "peak": peak,
        "total": sum(totals.values()),
        "width": WIDTH,
        "right": WIDTH - RIGHT,
        "height": HEIGHT,
        "left": LEFT,
        "baseline": HEIGHT - BOTTOM,
        "top": TOP,
        "start": start,
        "today": today,
    }


def activity_context(request: HttpRequest) -> dict[str, Any]:
    return activity_chart(today=timezone.localdate())


# --- Data-subject requests by days left (for the privacy officers) ---

# (label, lower bound, upper bound) in days left before the due date; None is open-ended.
DSAR_BUCKETS = (
    ("overdue", None, -1),
    ("due within 7 days", 0, 7),
    ("8 to 14 days", 8, 14),
    ("more than 14 days", 15, None),
)


def dsar_by_days_left(*, today: date) -> list[dict[str, Any]]:
    """Open requests counted per bucket of days left, in one aggregate query."""
    filters = {}
    for index, (_, low, high) in enumerate(DSAR_BUCKETS):
        bounds = Q()
        if low is not None:
            bounds &= Q(due_on__gte=today + timedelta(days=low))
        if high is not None:
            bounds &= Q(due_on__lte=today + timedelta(days=high))
        filters[f"bucket{index}"] = Count("pk", filter=bounds)
    counts = DataSubjectRequest.objects.filter(status__in=OPEN).aggregate(**filters)
    return [
        {"label": label, "count": counts[f"bucket{index}"]}
        for index, (label, _, _) in enumerate(DSAR_BUCKETS)
    ]


def dsar_context(request: HttpRequest) -> dict[str, Any]:
    buckets = dsar_by_days_left(today=timezone.localdate())
    return {
        "buckets": buckets,
        "total": sum(bucket["count"] for bucket in buckets),
        "failed": open_requests_with_failures(),
    }


# --- The outbox: promised side effects waiting for the task broker (IT, privacy officers) ---


def outbox_context(request: HttpRequest) -> dict[str, Any]:
    return {"backlog": outbox_backlog()}
