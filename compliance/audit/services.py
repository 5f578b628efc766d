"""Recording audit events: the only door into the trail."""

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from compliance.audit import crypto, keyring, siem
from compliance.audit.actor import Actor
from compliance.audit.chain import GENESIS, HEAD_ID, SCHEME, content_digest, link
from compliance.audit.models import SEAL_TRIGGER, AuditEvent, ChainHead
from compliance.audit.vocabulary import Action, Outcome

Target = models.Model | tuple[str, str]


@dataclass(frozen=True)
class Entry:
    """One event to append. `personal` names or describes the data subject and is stored
    only encrypted under the subject's key; `data` must carry no personal data."""

    action: Action
    target: Target
    subject_id: str = ""
    personal: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome = Outcome.SUCCESS


def event_record(
    *,
    actor: Actor,
    action: Action,
    target: Target,
    subject_id: str = "",
    personal: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    entry = Entry(action, target, subject_id, personal, data or {}, outcome)
    return events_record(actor=actor, entries=[entry])[0]


def events_record(
    *,
    actor: Actor,
    entries: Sequence[Entry],
    sequenced: bool = False,
    new_subjects: Collection[str] = (),
) -> list[AuditEvent]:
    """Append several events in one insert.

    On PostgreSQL the insert is the chain's only statement in the writer's path: each
    event carries the digest of its content, and a deferred trigger numbers and links the
    transaction's events when it commits, holding the chain head for the commit's instant
    instead of the writer's whole transaction. Until then the returned events have no
    sequence or hash. A caller that must store an event's sequence inside its own
    transaction passes `sequenced=True`: its events are sealed at the insert and it holds
    the head until it commits, as every writer did before. On SQLite (one writer at a
    time) events are sealed at the insert, under the same link. `new_subjects` are the
    subjects the caller's transaction created (joiners): their keys are made without
    looking for them first."""
    if not entries:
        return []
    for entry in entries:
        if entry.personal and not entry.subject_id:
            raise ValueError("personal details need a subject to encrypt them for")
    keys = crypto.keys_for_writing(
        {entry.subject_id for entry in entries if entry.personal}, new=new_subjects
    )
    occurred_at = timezone.now()
    events = []
    for entry in entries:
        ciphertext = (
            crypto.encrypt_with(keys, entry.subject_id, entry.personal) if entry.personal else ""
        )
        values = _values(actor, entry, occurred_at=occurred_at, ciphertext=ciphertext)
        values["digest"] = content_digest(values)
        events.append(AuditEvent(**values))
    # No savepoint: an event that cannot be recorded undoes the caller's whole change.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            if sequenced:
                _seal_at_insert()
            AuditEvent.objects.bulk_create(events)
            if sequenced:
                _read_seals(events)
        else:
            _seal(events)
            AuditEvent.objects.bulk_create(events)
        # Only what commits reaches the SIEM; its failure never undoes the change.
        transaction.on_commit(partial(siem.forward, events), robust=True)
    return events


def audit_export(
    *,
    actor: Actor,
    events: QuerySet[AuditEvent],
    format_name: str,
    filters: Mapping[str, Any],
    subject_id: str = "",
) -> tuple[QuerySet[AuditEvent], int]:
    """Record that a selection of the trail is being exported: an export is itself an
    event, with its filters and row count. The selection is pinned to the events recorded
    before this one, so the file holds exactly the rows the event counts, even while
    others keep writing (and the export's own event is never in it)."""
    with transaction.atomic():
        through = AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0
        pinned = events.filter(sequence__lte=through)
        rows = pinned.count()
        event_record(
            actor=actor,
            action=Action.AUDIT_EXPORTED,
            target=("compliance.auditevent", str(through)),
            subject_id=subject_id,
            data={
                "format": format_name,
                "filters": dict(filters),
                "rows": rows,
                "through_sequence": through,
            },
        )
    return pinned, rows


def report_export_record(
    *,
    actor: Actor,
    report: str,
    format_name: str,
    filters: Mapping[str, Any],
    rows: int,
    subject_id: str = "",
) -> AuditEvent:
    """Record that a report holding personal data left the portal as a file: which report,
    how it was filtered and how many rows it held."""
    return event_record(
        actor=actor,
        action=Action.AUDIT_EXPORTED,
        target=("compliance.report", report),
        subject_id=subject_id,
        data={"report": report, "format": format_name, "filters": dict(filters), "rows": rows},
    )


@contextmanager
def history_replay() -> Iterator[None]:
    """Allow the demo's month of history (seed_demo --history-days), which moves the
    application's clock back and records events at it, only into an empty trail, so it
    never puts an event before one a real trail already holds."""
    if AuditEvent.objects.exists():
        raise RuntimeError("history is only replayed into an empty audit trail")
    yield


@dataclass(frozen=True)
class KeyRotation:
    """What one run of the rotation job did: the current KEK (and the one it retired, if
    it rotated), how many subject keys it re-wrapped, how many no KEK could unwrap any
    more, and which retired KEKs it destroyed."""

    current: str
    retired: str | None
    rewrapped: int
    unreadable: int
    destroyed: list[str]


def keys_rotate(*, actor: Actor, chunk_size: int = 500) -> KeyRotation:
    """Rotate the key-encryption key when the current one is KEY_ROTATION_DAYS old, and
    re-wrap every live subject key still under another KEK (a chunk at a time); destroy
    a retired KEK once BACKUP_RETENTION_DAYS have passed since it retired, never while a
    live key still needs it. A key-store backup older than that window then unwraps
    nothing. Records audit.keys_rotated and audit.keys_destroyed when they happen."""
    now = timezone.now()
    current, retired = keyring.kek_rotate(now=now, every=timedelta(days=settings.KEY_ROTATION_DAYS))
    rewrapped, unreadable = crypto.subject_keys_rewrap(chunk_size=chunk_size)
    candidates = keyring.keks_retired()
    destroyed = keyring.keks_destroy(
        now=now,
        kept_for=timedelta(days=settings.BACKUP_RETENTION_DAYS),
        in_use=crypto.keks_needed(candidates),
    )
    rotation = KeyRotation(
        current.id, retired.id if retired else None, rewrapped, unreadable, destroyed
    )
    target = ("compliance.keyring", current.id)
    if retired or rewrapped or unreadable:
        data = {"retired": rotation.retired, "rewrapped": rewrapped, "unreadable": unreadable}
        event_record(actor=actor, action=Action.AUDIT_KEYS_ROTATED, target=target, data=data)
    if destroyed:
        event_record(
            actor=actor,
            action=Action.AUDIT_KEYS_DESTROYED,
            target=target,
            data={"destroyed": destroyed, "retention_days": settings.BACKUP_RETENTION_DAYS},
        )
    return rotation


def _seal(events: list[AuditEvent]) -> None:
    """Number and link the events under the locked head, as the PostgreSQL trigger does."""
    head = ChainHead.objects.select_for_update().filter(pk=HEAD_ID).first()
    if head is None:  # a fresh database whose migration row was flushed
        head, _ = ChainHead.objects.get_or_create(pk=HEAD_ID, defaults={"hash": GENESIS})
    sequence, previous = head.sequence, head.hash
    for event in events:
        sequence += 1
        event.sequence, event.previous_hash = sequence, previous
        event.hash = previous = link(previous, sequence, event.digest)
    ChainHead.objects.filter(pk=HEAD_ID).update(sequence=sequence, hash=previous)


def _seal_at_insert() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {SEAL_TRIGGER} IMMEDIATE")


def _read_seals(events: list[AuditEvent]) -> None:
    sealed = AuditEvent.objects.filter(pk__in=[event.pk for event in events])
    seals = {row.pk: row for row in sealed.only("sequence", "previous_hash", "hash")}
    for event in events:
        seal = seals[event.pk]
        event.sequence, event.previous_hash, event.hash = (
            seal.sequence,
            seal.previous_hash,
            seal.hash,
        )


def _values(actor: Actor, entry: Entry, *, occurred_at: Any, ciphertext: str) -> dict[str, Any]:
    target_type, target_id = (
        entry.target
        if isinstance(entry.target, tuple)
        else (entry.target._meta.label_lower, str(entry.target.pk))
    )
    return {
        "occurred_at": occurred_at,
        "actor_kind": str(actor.kind),
        "actor_id": actor.identifier,
        "actor_label": actor.label,
        "channel": str(actor.channel),
        "action": str(entry.action),
        "target_type": target_type,
        "target_id": target_id,
        "subject_id": entry.subject_id,
        "data": entry.data,
        "ciphertext": ciphertext,
        "request_id": actor.request_id,
        "client_address": actor.client_address,
        "outcome": str(entry.outcome),
        "scheme": SCHEME,
    }
