"""Raising, correcting and closing incidents. Each is one transaction and one audit event;
the privacy officers are e-mailed once a raised incident is committed."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind
from compliance.emails import email_send
from compliance.errors import IncidentError
from compliance.incidents.models import Incident


def _privacy_officer_addresses() -> list[str]:
    """The active staff whose role may act on incidents: the privacy officers (the only
    role given compliance.change_incident; an auditor's only views them). Found by the
    permission, which is compliance's own, not by the role's name, which is the portal's."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            is_staff=True,
            groups__permissions__content_type__app_label="compliance",
            groups__permissions__codename="change_incident",
        )
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def _notify_privacy_officers(incident: Incident) -> None:
    addresses = _privacy_officer_addresses()
    if not addresses:
        return
    path = reverse("admin:compliance_incident_change", args=[incident.pk])
    email_send(
        to=addresses,
        template="incident_raised",
        context={
            "incident": incident,
            "deadline": incident.notification_deadline,
            "url": f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}",
        },
    )


def incident_raise(
    *,
    kind: Incident.Kind,
    summary: str,
    details: dict[str, Any],
    actor: Actor,
    dedupe_key: str = "",
    severity: Incident.Severity = Incident.Severity.HIGH,
) -> tuple[Incident, bool]:
    """Open an incident and e-mail the privacy officers, unless one of the same kind and
    dedupe key is still open: then that one is returned and nothing else happens.
    Awareness starts at detection. `summary` and `details` must hold no personal data."""
    with transaction.atomic():
        existing = Incident.objects.filter(
            kind=kind, dedupe_key=dedupe_key, status=Incident.Status.OPEN
        ).first()
        if existing is not None:
            return existing, False
        now = timezone.now()
        incident = Incident(
            kind=kind,
            severity=severity,
            summary=summary,
            details=details,
            dedupe_key=dedupe_key,
            detected_at=now,
            aware_at=now,
        )
        try:
            with transaction.atomic():
                incident.save()
        except IntegrityError:  # a concurrent evaluation raised the same one first
            return Incident.objects.get(
                kind=kind, dedupe_key=dedupe_key, status=Incident.Status.OPEN
            ), False
        event_record(
            actor=actor,
            action=Action.INCIDENT_RAISED,
            target=incident,
            data={"kind": kind.value, "severity": severity.value, **details},
        )
        _notify_privacy_officers(incident)
    return incident, True


def incident_set_awareness(
    *, incident: Incident, aware_at: datetime, reason: str, actor: Actor
) -> Incident:
    """Correct when the organisation became aware (the deadline follows). Only while the
    incident is open, never in the future, and always with a reason."""
    if not reason.strip():
        raise IncidentError("reason", "Say why the awareness time changes.")
    if aware_at > timezone.now():
        raise IncidentError("aware_at", "The organisation cannot become aware in the future.")
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.status != Incident.Status.OPEN:
            raise IncidentError(None, "This incident is closed.")
        previous = locked.aware_at
        locked.aware_at = aware_at
        locked.awareness_reason = reason.strip()
        locked.save(update_fields=["aware_at", "awareness_reason"])
        event_record(
            actor=actor,
            action=Action.INCIDENT_AWARENESS_SET,
            target=locked,
            data={
                "before": previous.isoformat(),
                "after": aware_at.isoformat(),
                "deadline": locked.notification_deadline.isoformat(),
            },
        )
    return locked


def incident_close(
    *,
    incident: Incident,
    actor: Actor,
    notified_to_authority: bool,
    notified_at: datetime | None,
    note: str,
) -> Incident:
    """Close an open incident, recording whether and when the supervisory authority was
    notified: a notification needs its time, which cannot be in the future; no
    notification has no time."""
    if notified_to_authority and notified_at is None:
        raise IncidentError("notified_at", "Say when the authority was notified.")
    if not notified_to_authority and notified_at is not None:
        raise IncidentError("notified_at", "A notification time needs the notification.")
    if notified_at is not None and notified_at > timezone.now():
        raise IncidentError("notified_at", "The notification cannot be in the future.")
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.status != Incident.Status.OPEN:
            raise IncidentError(None, "This incident is already closed.")
        locked.status = Incident.Status.CLOSED
        locked.notified_to_authority = notified_to_authority
        locked.notified_at = notified_at
        locked.closed_at = timezone.now()
        is_staff = actor.kind == ActorKind.STAFF and actor.identifier.isdigit()
        locked.closed_by_id = int(actor.identifier) if is_staff else None
        locked.closing_note = note.strip()
        locked.save()
        event_record(
            actor=actor,
            action=Action.INCIDENT_CLOSED,
            target=locked,
            data={
                "kind": locked.kind,
                "notified_to_authority": notified_to_authority,
                "notified_at": notified_at.isoformat() if notified_at else None,
                "deadline": locked.notification_deadline.isoformat(),
                "late": bool(notified_at and notified_at > locked.notification_deadline),
            },
        )
    return locked
