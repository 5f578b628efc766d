"""Exports of the audit trail as CSV, JSON Lines and OCSF JSON, streamed: the events are
read in chunks from a server-side cursor and written out chunk by chunk, so a million
events never sit in memory at once.

Personal details are decrypted where the subject's key still exists (auditors need them),
and marked "erased" where it was destroyed. An export file is therefore personal data.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from compliance.audit import crypto
from compliance.audit.models import EVENT_FIELDS, AuditEvent
from compliance.audit.ocsf import ocsf_event, personal_status

CHUNK = 2000
PRODUCT = "Provisioning portal"

# The event's fields in the model's order, its encrypted details given decrypted.
COLUMNS = tuple(
    column
    for name in EVENT_FIELDS
    for column in (("personal", "personal_status") if name == "ciphertext" else (name,))
)

Decrypted = tuple[AuditEvent, dict[str, Any] | None]


def decrypted(events: QuerySet[AuditEvent]) -> Iterator[Decrypted]:
    """Each event with its personal details; the chunk's subject keys in one query."""
    stream = events.iterator(chunk_size=CHUNK)
    while chunk := list(islice(stream, CHUNK)):
        keys = crypto.reading_keys(chunk)
        for event in chunk:
            yield event, crypto.decrypt_with(keys, event.subject_id, event.ciphertext)


def record(event: AuditEvent, personal: dict[str, Any] | None) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in COLUMNS if hasattr(event, name)}
    values["occurred_at"] = event.occurred_at.isoformat()
    values["personal"] = personal
    values["personal_status"] = personal_status(personal)
    return values


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell that no spreadsheet runs. Every CSV leaving the portal with
    values it did not choose (audit exports, DSAR packages) writes its cells through this."""
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    # A cell starting like a formula would run in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_lines(columns: Sequence[str], records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """A header, then one CSV line per record; nested values as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for values in records:
        writer.writerow([csv_cell(values[name]) for name in columns])
        yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def json_array(
    documents: Iterable[dict[str, Any]], *, opening: str = "[", closing: str = "]"
) -> Iterator[str]:
    """A JSON array written element by element (optionally inside a wrapping object)."""
    yield opening + "\n"
    separator = ""
    for document in documents:
        yield separator + _json(document)
        separator = ",\n"
    yield "\n" + closing + "\n"


def as_csv(rows: Iterable[Decrypted]) -> Iterator[str]:
    return csv_lines(COLUMNS, (record(event, personal) for event, personal in rows))


def as_jsonl(rows: Iterable[Decrypted]) -> Iterator[str]:
    for event, personal in rows:
        yield _json(record(event, personal)) + "\n"


def as_ocsf(rows: Iterable[Decrypted]) -> Iterator[str]:
    """A JSON array of OCSF events."""
    return json_array(ocsf_event(event, personal, product=PRODUCT) for event, personal in rows)


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class ExportFormat:
    label: str
    content_type: str
    extension: str
    render: Callable[[Iterable[Decrypted]], Iterator[str]]


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("CSV", "text/csv; charset=utf-8", "csv", as_csv),
    "jsonl": ExportFormat("JSON Lines", "application/x-ndjson", "jsonl", as_jsonl),
    "ocsf": ExportFormat("OCSF JSON", "application/json", "ocsf.json", as_ocsf),
}


def export_stream(events: QuerySet[AuditEvent], format_name: str) -> Iterator[bytes]:
    """The export, as byte chunks for a streaming response."""
    return in_chunks(FORMATS[format_name].render(decrypted(events)))


def in_chunks(pieces: Iterator[str], *, per_chunk: int = 500) -> Iterator[bytes]:
    """Many small pieces of text as fewer, larger chunks of bytes (a few hundred kB)."""
    while batch := list(islice(pieces, per_chunk)):
        yield "".join(batch).encode()
