"""The published erasure ledger: an append-only file (ERASURE_LEDGER_PATH) outside both
databases, so that restoring the key store from a backup cannot lose the record of who was
erased since. Each line is one JSON object, chained: its `mac` is an HMAC (the ledger key)
over the previous line's MAC and the line's own content, so a changed or removed line
breaks every MAC after it. The key store remembers the last line it saw written
(PublishedLedgerHead), so a copy cut short before that line is refused too.

Two operations: `erased` (an erasure's identifier digests, and the pseudonymous subject
id, so that a restored record of that very subject is erased again even after a rehire
lifted the block on the identifiers) and `lifted` (a privacy officer let a rehire through:
the block on those digests ends, and a restore must not bring it back).

A line is written inside the erasure's first step and fsynced before the step commits. If
it cannot be written the step fails and nothing is erased yet: the request stays running
and the stalled-request sweep retries it, so no erasure completes unpublished."""

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from compliance.dsar.models import PublishedLedgerHead
from compliance.errors import LedgerFileError

ERASED = "erased"
LIFTED = "lifted"
GENESIS = "0" * 64
TAIL_WINDOW = 64 * 1024


@dataclass
class Replay:
    """What a verified ledger file says: the digests still blocked (with their kinds),
    those lifted, and every subject id ever erased."""

    lines: int = 0
    blocked: dict[str, str] = field(default_factory=dict)
    lifted: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)


def ledger_path() -> Path:
    return Path(settings.ERASURE_LEDGER_PATH)


def ledger_file_append(
    *, key: bytes, op: str, digests: Mapping[str, str], subject: str = ""
) -> int:
    """Append one chained line (MAC under `key`, the ledger key) and fsync it; remember it
    in the key store as the head. Returns its line number. Raises LedgerFileError when the
    file cannot be written."""
    path = ledger_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "r+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            sequence, previous = _tail(file)
            record = {
                "seq": sequence + 1,
                "at": timezone.now().isoformat(),
                "op": op,
                "subject": subject,
                "digests": dict(sorted(digests.items())),
            }
            mac = _mac(key, previous, record)
            file.write((_canonical({**record, "mac": mac}) + "\n").encode())
            file.flush()
            os.fsync(file.fileno())
            PublishedLedgerHead.objects.update_or_create(
                pk=1, defaults={"sequence": record["seq"], "mac": mac}
            )
    except OSError as error:
        raise LedgerFileError(
            f"the erasure ledger file {path} could not be written: {error.strerror}"
        ) from None
    return sequence + 1


def ledger_file_replay(path: Path, *, key: bytes) -> Replay:
    """Verify the whole chain of a copy of the ledger file (MACs under `key`) and fold it
    into what it says. Raises LedgerFileError, naming the first bad line."""
    replay = Replay()
    previous = GENESIS
    head = PublishedLedgerHead.objects.first()
    try:
        with path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                record, mac = _parse(raw, number)
                if record.get("seq") != number or not hmac.compare_digest(
                    mac, _mac(key, previous, record)
                ):
                    raise LedgerFileError(
                        f"{path} line {number}: the chain is broken (the file was changed)"
                    )
                if head is not None and number == head.sequence and mac != head.mac:
                    raise LedgerFileError(
                        f"{path} line {number}: not the line the key store saw written "
                        "(another ledger?)"
                    )
                _fold(replay, record)
                previous, replay.lines = mac, number
    except OSError as error:
        raise LedgerFileError(f"{path} cannot be read: {error.strerror}") from None
    if head is not None and replay.lines < head.sequence:
        raise LedgerFileError(
            f"{path} ends at line {replay.lines}, but the key store saw line {head.sequence} "
            "written: the file was truncated"
        )
    return replay


def _parse(raw: bytes, number: int) -> tuple[dict[str, Any], str]:
    if not raw.endswith(b"\n"):
        raise LedgerFileError(f"line {number} is incomplete: the file was truncated")
    try:
        record = json.loads(raw)
        mac = record.pop("mac")
    except (ValueError, KeyError, AttributeError, TypeError):
        raise LedgerFileError(f"line {number} is not a ledger line") from None
    if record.get("op") not in (ERASED, LIFTED) or not isinstance(record.get("digests"), dict):
        raise LedgerFileError(f"line {number} is not a ledger line")
    return record, str(mac)


def _fold(replay: Replay, record: dict[str, Any]) -> None:
    digests: dict[str, str] = record["digests"]
    if record["op"] == ERASED:
        replay.blocked.update(digests)
        replay.lifted.difference_update(digests)
        if record["subject"]:
            replay.subjects.add(str(record["subject"]))
    else:
        replay.lifted.update(digests)
        for digest in digests:
            replay.blocked.pop(digest, None)


def _tail(file: IO[bytes]) -> tuple[int, str]:
    """The last complete line's number and MAC (GENESIS for an empty file). A torn last
    line (a crash mid-write, never fsynced, so its erasure never committed) is cut off."""
    end = file.seek(0, os.SEEK_END)
    window = TAIL_WINDOW
    while True:
        start = max(0, end - window)
        file.seek(start)
        chunk = file.read(end - start)
        cut = chunk.rfind(b"\n") + 1
        lines = chunk[:cut].splitlines()
        # The window's first line may be a fragment: widen it until a whole one precedes.
        if start == 0 or len(lines) >= 2:
            break
        window *= 2
    if cut < len(chunk):
        file.truncate(start + cut)
    if not lines:
        return 0, GENESIS
    last = json.loads(lines[-1])
    return int(last["seq"]), str(last["mac"])


def _mac(key: bytes, previous: str, record: Mapping[str, Any]) -> str:
    return hmac.new(key, (previous + _canonical(record)).encode(), hashlib.sha256).hexdigest()


def _canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))
