"""The hash chain: each event's hash covers the previous hash and the canonical event."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compliance.audit.models import EVENT_FIELDS, AuditEvent, ChainHead

GENESIS = "0" * 64
HEAD_ID = 1

# Every field of the event but its own hash. A field added to the model joins the hash
# input, and events written before it would then fail to verify: such a field needs a new
# way to chain, not only a migration (tests pin the input of one event byte for byte).
CHAINED_FIELDS = tuple(name for name in EVENT_FIELDS if name != "hash")


def canonical(values: dict[str, Any]) -> bytes:
    """The bytes that are hashed: the chained fields as compact, key-sorted JSON."""
    document = {name: values[name] for name in CHAINED_FIELDS}
    document["occurred_at"] = document["occurred_at"].isoformat(timespec="microseconds")
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(values["previous_hash"].encode() + canonical(values)).hexdigest()


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
    check began, never reported short of its head."""
    head = ChainHead.objects.filter(pk=HEAD_ID).values_list("sequence", flat=True).first()
    events = AuditEvent.objects.order_by("sequence")
    if head is not None:
        events = events.filter(sequence__lte=head)
    expected_previous = GENESIS
    expected_sequence = 1
    verified = 0
    rows: Iterator[dict[str, Any]] = events.values(*CHAINED_FIELDS, "hash").iterator(
        chunk_size=chunk_size
    )
    for row in rows:
        sequence = row["sequence"]
        if sequence != expected_sequence:
            return Verification(verified, expected_sequence, "event missing from the sequence")
        if row["previous_hash"] != expected_previous:
            return Verification(verified, sequence, "does not follow the event before it")
        if event_hash(row) != row["hash"]:
            return Verification(verified, sequence, "its content does not match its hash")
        expected_previous = row["hash"]
        expected_sequence += 1
        verified += 1
    if head is not None and head > verified:
        return Verification(verified, verified + 1, "event missing from the end of the chain")
    return Verification(verified)
