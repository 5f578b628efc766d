"""The alert rules: small functions that read the audit trail and say what they found.

`rules_evaluate` runs them all over the events appended since the last evaluation (the
watermark), so an event is looked at once; the windowed rules count over a sliding window
of database time but only fire when the window holds an event not seen before. Every
query filters on indexed columns (action, sequence, occurred_at).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.chain import HEAD_ID, Verification, verify
from compliance.audit.models import AuditEvent, ChainHead
from compliance.audit.vocabulary import Action
from compliance.incidents.models import AlertWatermark, Incident
from compliance.incidents.services import LISTED_IDS, finding_raise

WATERMARK = "rules"
Kind = Incident.Kind
Severity = Incident.Severity


@dataclass(frozen=True)
class Window:
    """The events a rule evaluation covers: sequence in (since, upto], as of `now`."""

    since: int
    upto: int
    now: datetime

    def new(self, action: Action) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.filter(
            action=action, sequence__gt=self.since, sequence__lte=self.upto
        )

    def recent(self, action: Action, *, minutes: int) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.filter(
            action=action,
            occurred_at__gte=self.now - timedelta(minutes=minutes),
            sequence__lte=self.upto,
        )


@dataclass(frozen=True)
class Finding:
    kind: Incident.Kind
    summary: str
    details: dict[str, Any]
    dedupe_key: str = ""
    severity: Incident.Severity = Severity.HIGH


def _burst(
    window: Window,
    action: Action,
    *,
    threshold: int,
    minutes: int,
    kind: Incident.Kind,
    what: str,
    severity: Incident.Severity = Severity.HIGH,
) -> list[Finding]:
    """More than `threshold` events of `action` in the last `minutes`, one of them new:
    one finding, summed up as "<how many> <what> in <minutes> minutes"."""
    stats = window.recent(action, minutes=minutes).aggregate(
        count=Count("id"),
        sources=Count("actor_id", distinct=True),
        first=Min("sequence"),
        last=Max("sequence"),
    )
    if stats["count"] <= threshold or stats["last"] <= window.since:
        return []
    details = {  # a window's count, not new events: a repeat replaces it, never adds to it
        "events_in_window": stats["count"],
        "distinct_actors": stats["sources"],
        "threshold": threshold,
        "window_minutes": minutes,
        "first_sequence": stats["first"],
        "last_sequence": stats["last"],
    }
    summary = f"{stats['count']} {what} in {minutes} minutes"
    return [Finding(kind, summary, details, severity=severity)]


def mass_deprovisioning(window: Window) -> list[Finding]:
    return _burst(
        window,
        Action.PERSON_DEACTIVATED,
        threshold=settings.ALERT_MASS_DEPROVISIONING_COUNT,
        minutes=settings.ALERT_MASS_DEPROVISIONING_MINUTES,
        kind=Kind.MASS_DEPROVISIONING,
        what="people deactivated",
        severity=Severity.CRITICAL,
    )


def scim_auth_failures(window: Window) -> list[Finding]:
    return _burst(
        window,
        Action.SCIM_AUTH_FAILED,
        threshold=settings.ALERT_SCIM_AUTH_FAILURE_COUNT,
        minutes=settings.ALERT_SCIM_AUTH_FAILURE_MINUTES,
        kind=Kind.SCIM_AUTH_FAILURES,
        what="failed SCIM authentications",
    )


def access_outside_process(window: Window) -> list[Finding]:
    """Grants made by hand, not from a request or a template: one finding per granter."""
    manual = window.new(Action.GRANT_CREATED).filter(data__source="manual")
    findings = []
    by_actor = (
        manual.values("actor_kind", "actor_id")
        .annotate(count=Count("id"), first=Min("sequence"), last=Max("sequence"))
        .order_by("actor_kind", "actor_id")
    )
    for group in by_actor:
        grants = list(
            manual.filter(actor_kind=group["actor_kind"], actor_id=group["actor_id"])
            .order_by("sequence")
            .values_list("target_id", flat=True)[:LISTED_IDS]
        )
        count = group["count"]
        findings.append(
            Finding(
                Kind.ACCESS_OUTSIDE_PROCESS,
                f"Access granted outside requests and templates by "
                f"{group['actor_kind']} #{group['actor_id']}",
                {
                    "count": count,
                    "actor_kind": group["actor_kind"],
                    "actor_id": group["actor_id"],
                    "grant_ids": grants,
                    "first_sequence": group["first"],
                    "last_sequence": group["last"],
                },
                # One finding per granter: new grants join it while it awaits triage.
                dedupe_key=f"{group['actor_kind']}:{group['actor_id']}",
                severity=Severity.MEDIUM,
            )
        )
    return findings


def disabled_scim_client(window: Window) -> list[Finding]:
    attempts = (
        window.new(Action.SCIM_AUTH_FAILED)
        .filter(data__reason="client_disabled")
        .values("actor_id")
        .annotate(count=Count("id"), first=Min("sequence"), last=Max("sequence"))
        .order_by("actor_id")
    )
    return [
        Finding(
            Kind.DISABLED_SCIM_CLIENT,
            f"Disabled SCIM client {row['actor_id']} still tries to sign in",
            {
                "client": row["actor_id"],
                "count": row["count"],
                "first_sequence": row["first"],
                "last_sequence": row["last"],
            },
            dedupe_key=f"client:{row['actor_id']}",
        )
        for row in attempts
    ]


RULES: tuple[Callable[[Window], list[Finding]], ...] = (
    mass_deprovisioning,
    scim_auth_failures,
    access_outside_process,
    disabled_scim_client,
)


def rules_evaluate(*, actor: Actor, now: datetime | None = None) -> list[Incident]:
    """Run every rule once over the events appended since the last evaluation and raise
    what they find as findings (joining the one open of the same kind and key).
    Concurrent evaluations queue on the watermark, so none counts an event twice.
    Returns the findings newly raised."""
    with transaction.atomic():
        AlertWatermark.objects.get_or_create(name=WATERMARK)
        watermark = AlertWatermark.objects.select_for_update().get(name=WATERMARK)
        # The head is committed together with the events up to it, so none below is missing.
        upto = ChainHead.objects.filter(pk=HEAD_ID).values_list("sequence", flat=True).first()
        if upto is None or upto <= watermark.sequence:
            return []
        window = Window(since=watermark.sequence, upto=upto, now=now or timezone.now())
        raised = []
        for rule in RULES:
            for finding in rule(window):
                incident, created = finding_raise(
                    kind=finding.kind,
                    summary=finding.summary,
                    details=finding.details,
                    actor=actor,
                    dedupe_key=finding.dedupe_key,
                    severity=finding.severity,
                )
                if created:
                    raised.append(incident)
        watermark.sequence = upto
        watermark.save(update_fields=["sequence"])
    return raised


def audit_chain_check(*, actor: Actor) -> tuple[Verification, Incident | None]:
    """Verify the whole chain; a broken one raises a critical finding naming the event."""
    result = verify()
    if result.ok:
        return result, None
    incident, _ = finding_raise(
        kind=Kind.BROKEN_AUDIT_CHAIN,
        summary=f"The audit chain is broken at event #{result.first_broken}",
        details={
            "verified": result.verified,
            "first_broken": result.first_broken,
            "reason": result.reason,
        },
        actor=actor,
        dedupe_key=str(result.first_broken),
        severity=Severity.CRITICAL,
    )
    return result, incident
