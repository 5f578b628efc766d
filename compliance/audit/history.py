"""A person's identity history: every audit event about them, from creation to deletion,
decrypted where their key still exists: what happened, when, how and by whom."""

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.text import capfirst

from compliance.audit import crypto, references
from compliance.audit.export import csv_lines, decrypted, in_chunks, json_array
from compliance.audit.models import AuditEvent
from compliance.audit.ocsf import personal_status
from compliance.audit.vocabulary import Action
from compliance.subjects import subject_names


def subject_history(*, subject_id: str) -> QuerySet[AuditEvent]:
    """The events about one data subject, oldest first (served by the subject index)."""
    return AuditEvent.objects.filter(subject_id=subject_id).order_by("sequence")


@dataclass(frozen=True)
class HistoryEntry:
    sequence: int | None
    occurred_at: datetime
    action: str
    what: str
    channel: str
    actor_kind: str
    actor_id: str
    actor_label: str
    outcome: str
    details: dict[str, Any] | None
    details_status: str
    facts: dict[str, Any]


def history_entry(
    event: AuditEvent,
    personal: dict[str, Any] | None,
    *,
    readable: dict[str, Any] | None = None,
    labels: references.Labels | None = None,
) -> HistoryEntry:
    """`personal` as exported; `readable` (default: `personal`) as a person reads it, and
    `labels` the names of the objects the event's facts refer to."""
    return HistoryEntry(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        action=event.action,
        what=describe(event, personal if readable is None else readable, labels or {}),
        channel=event.channel,
        actor_kind=event.actor_kind,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        outcome=event.outcome,
        details=personal,
        details_status=personal_status(personal),
        facts=event.data,
    )


def history_page(events: Iterable[AuditEvent], subject_id: str) -> list[HistoryEntry]:
    """One page of entries; the subject's key is read once for the page, and the people
    the page refers to (a manager) are named in one query."""
    page = list(events)
    keys = crypto.reading_keys(page)
    rows = [
        (event, crypto.decrypt_with(keys, event.subject_id, event.ciphertext)) for event in page
    ]
    return _named(rows)


def history_entries(
    events: QuerySet[AuditEvent], *, per_chunk: int = 500
) -> Iterator[HistoryEntry]:
    """Every entry, streamed in chunks (for the exports), the people each chunk refers to
    named in one query per chunk."""
    chunk: list[tuple[AuditEvent, dict[str, Any] | None]] = []
    for row in decrypted(events):
        chunk.append(row)
        if len(chunk) == per_chunk:
            yield from _named(chunk)
            chunk = []
    yield from _named(chunk)


def _named(rows: list[tuple[AuditEvent, dict[str, Any] | None]]) -> list[HistoryEntry]:
    """Details refer to other people by subject id: the export shows the names of those
    who still exist (an erased one stays a pseudonymous id), the line a person reads says
    the others are gone. Groups, roles and the like are named too, one query per kind."""
    names = subject_names(references.referenced_subjects(p for _, p in rows))
    labels = references.object_labels(
        (event.action, part)
        for event, personal in rows
        for part in (event.data, personal or {})
        if isinstance(part, dict)
    )
    return [
        history_entry(
            event,
            references.shown(personal, names),
            readable=references.shown(personal, names, gone=references.PERSON_GONE),
            labels=labels,
        )
        for event, personal in rows
    ]


def describe(
    event: AuditEvent, personal: dict[str, Any] | None, labels: references.Labels | None = None
) -> str:
    """A line a person can read: the action, then what changed where the details say, with
    the objects it touched by name (from `labels`) rather than by id."""
    label = capfirst(Action(event.action).label if event.action in Action.values else event.action)
    if personal is None:
        return f"{label} (details erased)"
    personal = references.named_facts(event.action, personal, labels or {})
    before, after = personal.get("before", {}), personal.get("after", {})
    if before:
        changes = (
            f"{name}: {value_shown(before.get(name))} → {value_shown(after.get(name))}"
            for name in after
        )
        return f"{label}: " + "; ".join(changes)
    if after:
        return f"{label}: " + ", ".join(
            f"{name}={value_shown(value)}" for name, value in after.items()
        )
    # Facts in the clear, then personal ones such as a free-text reason.
    facts = {
        **references.named_facts(event.action, event.data, labels or {}),
        **{k: v for k, v in personal.items() if k not in {"before", "after"}},
    }
    if facts:
        return f"{label}: " + ", ".join(f"{name}={value_shown(v)}" for name, v in facts.items())
    return label


def value_shown(value: Any) -> str:
    """A fact's value as a person reads it: lists and parts joined, empty said so."""
    if value in (None, ""):
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(value_shown(item) for item in value) or "(empty)"
    if isinstance(value, dict):
        return (
            ", ".join(f"{name}: {value_shown(item)}" for name, item in value.items()) or "(empty)"
        )
    return str(value)


def entry_document(entry: HistoryEntry) -> dict[str, Any]:
    document = asdict(entry)
    document["occurred_at"] = entry.occurred_at.isoformat()
    return document


HISTORY_COLUMNS = tuple(HistoryEntry.__dataclass_fields__)


HISTORY_FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
}


def history_stream(
    events: QuerySet[AuditEvent], *, subject_id: str, format_name: str
) -> Iterator[bytes]:
    """The history as CSV, or as one JSON object {"subject_id", "events": [...]}, streamed."""
    documents = (entry_document(entry) for entry in history_entries(events))
    if format_name == "csv":
        return in_chunks(csv_lines(HISTORY_COLUMNS, documents))
    opening = '{"subject_id": ' + json.dumps(subject_id) + ', "events": ['
    return in_chunks(json_array(documents, opening=opening, closing="]}"))
