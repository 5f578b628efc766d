"""The 72-hour clock as people read it: how long is left, and how urgent that is."""

from datetime import datetime, timedelta

from django.utils import timezone

from compliance.incidents.models import Incident

SOON = timedelta(hours=24)


def time_left(incident: Incident, *, now: datetime | None = None) -> tuple[str, str]:
    """The countdown as text and its urgency: "overdue", "soon" (under 24 hours) or "";
    a finding not yet triaged has no clock."""
    deadline = incident.notification_deadline
    if deadline is None:
        return "no clock until triaged as a breach", ""
    left = deadline - (now or timezone.now())
    if left <= timedelta(0):
        return f"overdue by {_duration(-left)}", "overdue"
    return _duration(left), "soon" if left < SOON else ""


def _duration(span: timedelta) -> str:
    hours, seconds = divmod(int(span.total_seconds()), 3600)
    days, hours = divmod(hours, 24)
    minutes = seconds // 60
    return f"{days} d {hours} h" if days else f"{hours} h {minutes:02d} min"
