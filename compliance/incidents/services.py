"""Findings and breaches: raising a finding (or adding to the one open), triaging it into
a breach, dismissing or merging it, describing a breach, correcting its awareness time and
closing it. Each is one transaction and one audit event; the privacy officers are e-mailed
once a new finding is committed."""

from dataclasses import asdict, dataclass
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

Stage = Incident.Stage
Status = Incident.Status


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


def _notify_privacy_officers(finding: Incident) -> None:
    addresses = _privacy_officer_addresses()
    if not addresses:
        return
    path = reverse("admin:compliance_finding_change", args=[finding.pk])
    email_send(
        to=addresses,
        template="incident_raised",
        context={
            "incident": finding,
            "url": f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}",
        },
    )


LISTED_IDS = 50  # ids a finding's details name; its count says how many in all


def _grouped_details(before: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """A finding found again: counts add up, listed ids join (up to LISTED_IDS), the first
    sequence stays the first; every other fact is the latest."""
    grouped = {**before, **found}
    if isinstance(before.get("count"), int) and isinstance(found.get("count"), int):
        grouped["count"] = before["count"] + found["count"]
    for key, value in found.items():
        if isinstance(value, list) and isinstance(before.get(key), list):
            grouped[key] = list(dict.fromkeys([*before[key], *value]))[:LISTED_IDS]
    if "first_sequence" in before:
        grouped["first_sequence"] = before["first_sequence"]
    return grouped


def finding_raise(
    *,
    kind: Incident.Kind,
    summary: str,
    details: dict[str, Any],
    actor: Actor,
    dedupe_key: str = "",
    severity: Incident.Severity = Incident.Severity.HIGH,
) -> tuple[Incident, bool]:
    """Open a finding for the privacy officers to triage, and e-mail them. While a finding
    of the same kind and key awaits triage, the new one joins it instead (its count and
    details grow, nothing is e-mailed): one finding per kind and subject, not one per
    event. Returns the finding and whether it is new. A finding starts no clock: only
    triage into a breach does. `summary` and `details` must hold no personal data."""
    with transaction.atomic():
        existing = (
            Incident.objects.select_for_update()
            .filter(kind=kind, dedupe_key=dedupe_key, stage=Stage.FINDING, status=Status.OPEN)
            .first()
        )
        if existing is not None:
            return _finding_repeat(existing, summary, details, actor), False
        now = timezone.now()
        finding = Incident(
            kind=kind,
            severity=severity,
            summary=summary,
            details=details,
            dedupe_key=dedupe_key,
            detected_at=now,
            last_detected_at=now,
        )
        try:
            with transaction.atomic():
                finding.save()
        except IntegrityError:  # a concurrent evaluation raised the same one first
            existing = Incident.objects.select_for_update().get(
                kind=kind, dedupe_key=dedupe_key, stage=Stage.FINDING, status=Status.OPEN
            )
            return _finding_repeat(existing, summary, details, actor), False
        event_record(
            actor=actor,
            action=Action.INCIDENT_RAISED,
            target=finding,
            data={"kind": kind.value, "severity": severity.value, **details},
        )
        _notify_privacy_officers(finding)
    return finding, True


def _finding_repeat(
    finding: Incident, summary: str, details: dict[str, Any], actor: Actor
) -> Incident:
    finding.occurrences += 1
    finding.last_detected_at = timezone.now()
    finding.summary = summary
    finding.details = _grouped_details(finding.details, details)
    finding.save(update_fields=["occurrences", "last_detected_at", "summary", "details"])
    event_record(
        actor=actor,
        action=Action.FINDING_REPEATED,
        target=finding,
        data={"kind": finding.kind, "occurrences": finding.occurrences, **details},
    )
    return finding


def _deadline(breach: Incident) -> datetime:
    deadline = breach.notification_deadline
    if deadline is None:  # guarded by the constraint incident_breach_has_awareness
        raise IncidentError(None, "A breach needs its awareness time.")
    return deadline


def _staff_id(actor: Actor) -> int | None:
    return (
        int(actor.identifier)
        if actor.kind == ActorKind.STAFF and actor.identifier.isdigit()
        else None
    )


def _locked_finding(finding: Incident) -> Incident:
    locked = Incident.objects.select_for_update().get(pk=finding.pk)
    if locked.stage != Stage.FINDING or locked.status != Status.OPEN:
        raise IncidentError(None, "This finding has already been triaged.")
    return locked


def finding_triage_breach(*, finding: Incident, actor: Actor, reason: str = "") -> Incident:
    """Triage a finding as a personal-data breach: the organisation is aware from now,
    so the 72-hour clock of Art. 33(1) starts now. The DPO contact the notification
    names is filled in from the records of processing."""
    with transaction.atomic():
        locked = _locked_finding(finding)
        now = timezone.now()
        locked.stage = Stage.BREACH
        locked.aware_at = now
        locked.triaged_at = now
        locked.triaged_by_id = _staff_id(actor)
        locked.triage_reason = reason.strip()
        locked.dpo_contact = locked.dpo_contact or settings.ROPA_DPO_CONTACT
        locked.save()
        _triaged(locked, actor)
    return locked


def finding_dismiss(*, finding: Incident, actor: Actor, reason: str) -> Incident:
    """Triage a finding as not a personal-data breach, which needs a reason (the record
    Art. 33(5) asks for shows why nothing was notified). It closes the finding."""
    if not reason.strip():
        raise IncidentError("reason", "Say why this is not a personal-data breach.")
    with transaction.atomic():
        locked = _locked_finding(finding)
        _triage_close(locked, Stage.NOT_BREACH, actor, reason)
        _triaged(locked, actor)
    return locked


def finding_merge(*, finding: Incident, breach: Incident, actor: Actor) -> Incident:
    """Triage a finding as part of a breach already open: it closes, linked to that
    breach, whose clock does not move (it started when the breach was first triaged)."""
    with transaction.atomic():
        locked = _locked_finding(finding)
        target = Incident.objects.select_for_update().get(pk=breach.pk)
        if target.stage != Stage.BREACH or target.status != Status.OPEN:
            raise IncidentError("breach", "Choose a breach that is still open.")
        locked.merged_into = target
        _triage_close(locked, Stage.MERGED, actor, f"Part of the breach {target.summary}")
        _triaged(locked, actor, breach=target)
    return locked


def _triage_close(finding: Incident, stage: str, actor: Actor, reason: str) -> None:
    now = timezone.now()
    finding.stage = stage
    finding.status = Status.CLOSED
    finding.triaged_at = finding.closed_at = now
    finding.triaged_by_id = finding.closed_by_id = _staff_id(actor)
    finding.triage_reason = reason.strip()
    finding.save()


def _triaged(finding: Incident, actor: Actor, *, breach: Incident | None = None) -> None:
    data: dict[str, Any] = {"kind": finding.kind, "outcome": finding.stage}
    if breach is not None:
        data["breach"] = str(breach.pk)
    if finding.is_breach:
        data["deadline"] = _deadline(finding).isoformat()
    event_record(actor=actor, action=Action.FINDING_TRIAGED, target=finding, data=data)


@dataclass(frozen=True)
class BreachDescription:
    """What GDPR Art. 33(3) asks a notification to describe, and the Art. 34 record of
    whether the people affected were told."""

    nature: str
    subject_categories: str
    subjects_approx: int | None
    record_categories: str
    records_approx: int | None
    consequences: str
    measures: str
    dpo_contact: str
    subjects_informed: str
    subjects_informed_at: datetime | None
    subjects_informed_how: str
    subjects_not_informed_reason: str


def _description_errors(description: BreachDescription) -> None:
    informed = Incident.SubjectsInformed
    if description.subjects_informed == informed.INFORMED:
        if description.subjects_informed_at is None:
            raise IncidentError("subjects_informed_at", "Say when they were told.")
        if description.subjects_informed_at > timezone.now():
            raise IncidentError("subjects_informed_at", "They cannot have been told in the future.")
        if not description.subjects_informed_how.strip():
            raise IncidentError("subjects_informed_how", "Say how they were told.")
    elif description.subjects_informed_at is not None:
        raise IncidentError("subjects_informed_at", "A time only goes with having told them.")
    if description.subjects_informed == informed.NOT_INFORMED and not (
        description.subjects_not_informed_reason.strip()
    ):
        raise IncidentError(
            "subjects_not_informed_reason", "Say which ground of Art. 34(3) applies."
        )


def breach_describe(*, breach: Incident, description: BreachDescription, actor: Actor) -> Incident:
    """Record what is known of a breach (Art. 33(3): it may be given in phases, so this
    is called as the facts come in) and whether the people affected were told (Art. 34).
    Only an open breach. The trail records which facts changed; their text, which may
    describe people, stays on the breach."""
    _description_errors(description)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=breach.pk)
        if locked.stage != Stage.BREACH or locked.status != Status.OPEN:
            raise IncidentError(None, "Only an open breach is described.")
        values = asdict(description)
        changed = sorted(name for name, value in values.items() if getattr(locked, name) != value)
        for name, value in values.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.save(update_fields=list(values))
        event_record(
            actor=actor,
            action=Action.BREACH_DESCRIBED,
            target=locked,
            data={
                "changed": changed,
                "subjects_approx": locked.subjects_approx,
                "records_approx": locked.records_approx,
                "subjects_informed": locked.subjects_informed,
            },
        )
    return locked


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
        if locked.stage != Stage.BREACH:
            raise IncidentError(None, "Only a breach has an awareness time: triage it first.")
        if locked.status != Incident.Status.OPEN:
            raise IncidentError(None, "This breach is closed.")
        previous = locked.aware_at
        locked.aware_at = aware_at
        locked.awareness_reason = reason.strip()
        locked.save(update_fields=["aware_at", "awareness_reason"])
        event_record(
            actor=actor,
            action=Action.INCIDENT_AWARENESS_SET,
            target=locked,
            data={
                "before": previous.isoformat() if previous else None,
                "after": aware_at.isoformat(),
                "deadline": _deadline(locked).isoformat(),
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
        if locked.stage != Stage.BREACH:
            raise IncidentError(None, "A finding is closed by triage, not here.")
        if locked.status != Incident.Status.OPEN:
            raise IncidentError(None, "This breach is already closed.")
        if not note.strip():
            raise IncidentError("note", "Say what happened and what was done.")
        locked.status = Incident.Status.CLOSED
        locked.notified_to_authority = notified_to_authority
        locked.notified_at = notified_at
        locked.closed_at = timezone.now()
        locked.closed_by_id = _staff_id(actor)
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
                "deadline": _deadline(locked).isoformat(),
                "late": bool(notified_at and notified_at > _deadline(locked)),
            },
        )
    return locked
