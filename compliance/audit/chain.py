"""The hash chain: each event's hash covers the previous hash and the canonical event.

Two schemes, recorded on each event, so history is never rewritten:

1. hash = sha256(previous hash ‖ the canonical event, sequence and previous hash included).
2. digest = sha256(the canonical event without its place in the chain), written by the
   writer; hash = sha256(previous hash ":" sequence ":" digest), made when the writer's
   transaction commits. On PostgreSQL a deferred trigger (migration 0031) makes that link
   with the database's own sha256(), holding the chain head only for the commit's instant;
   `link` here is the same function, for SQLite and for verification.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compliance.audit.models import EVENT_FIELDS, AuditEvent, ChainHead

GENESIS = "0" * 64
HEAD_ID = 1
SCHEME = 2

# Frozen: the fields scheme 1 hashed. A field added to the model later must not join them,
# or every event written under scheme 1 would stop verifying.
V1_FIELDS = (
    "sequence",
    "occurred_at",
    "action",
    "outcome",
    "actor_kind",
    "actor_id",
    "actor_label",
    "channel",
    "target_type",
    "target_id",
    "subject_id",
    "request_id",
    "client_address",
    "data",
    "ciphertext",
    "previous_hash",
)

# Scheme 2's digest: the event's content and its scheme, not its place in the chain, which
# is only known at commit. A field added to the model joins it, so such a field needs a new
# scheme (tests pin the input of one event byte for byte).
CONTENT_FIELDS = tuple(sorted({*EVENT_FIELDS, "scheme"} - {"sequence", "previous_hash", "hash"}))

# What verification reads of each event, under either scheme.
CHAINED_FIELDS = (*(name for name in EVENT_FIELDS if name != "hash"), "scheme")


def canonical(values: dict[str, Any], fields: tuple[str, ...] = V1_FIELDS) -> bytes:
    """The bytes that are hashed: the fields as compact, key-sorted JSON."""
    document = {name: values[name] for name in fields}
    document["occurred_at"] = document["occurred_at"].isoformat(timespec="microseconds")
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()


def content_digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(values, CONTENT_FIELDS)).hexdigest()


def link(previous: str, sequence: int, digest: str) -> str:
    """Scheme 2's hash; the seal trigger computes the same bytes in SQL."""
    return hashlib.sha256(f"{previous}:{sequence}:{digest}".encode()).hexdigest()


def event_hash(values: dict[str, Any]) -> str:
    """The hash an event should carry under its own scheme, recomputed from its content."""
    if values.get("scheme", 1) == 1:
        return hashlib.sha256(values["previous_hash"].encode() + canonical(values)).hexdigest()
    return link(values["previous_hash"], values["sequence"], content_digest(values))


@dataclass(frozen=True)
class Verification:
    verified: int
    first_broken: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify(*, chunk_size: int = 2000) -> Verification:
    """Walk the chain in sequence order, streaming, and stop at the first broken link.

    The head is read first and the walk stops at it. Appends commit their events and the
    new head together, so every event up to the head read is already visible, while events
    appended during the walk lie beyond it: a busy chain is verified as it stood when the
    check began, never reported short of its head.

    Each event is checked under its own scheme, and a scheme never goes back to an older
    one. An event committed unsealed (its seal trigger disabled) would sit outside the
    chain, so any such event is a break after the head."""
    head = ChainHead.objects.filter(pk=HEAD_ID).values_list("sequence", flat=True).first()
    events = AuditEvent.objects.order_by("sequence")
    if head is not None:
        events = events.filter(sequence__lte=head)
    expected_previous = GENESIS
    expected_sequence = 1
    verified = 0
    scheme = 1
    rows: Iterator[dict[str, Any]] = events.values(*CHAINED_FIELDS, "hash").iterator(
        chunk_size=chunk_size
    )
    for row in rows:
        sequence = row["sequence"]
        if sequence != expected_sequence:
            return Verification(verified, expected_sequence, "event missing from the sequence")
        if row["previous_hash"] != expected_previous:
            return Verification(verified, sequence, "does not follow the event before it")
        if row["scheme"] < scheme:
            return Verification(verified, sequence, "chained under an older scheme")
        scheme = row["scheme"]
        if event_hash(row) != row["hash"]:
            return Verification(verified, sequence, "its content does not match its hash")
        expected_previous = row["hash"]
        expected_sequence += 1
        verified += 1
    if head is not None and head > verified:
        return Verification(verified, verified + 1, "event missing from the end of the chain")
    if AuditEvent.objects.filter(sequence=None).exists():
        return Verification(verified, verified + 1, "event recorded outside the chain")
    return Verification(verified)
