"""The erasure ledger: keyed hashes (HMAC-SHA256) of erased people's identifiers, kept in
the key store beside the subject keys, apart from the main database's backups, and
published line by line to a file outside both databases (compliance.dsar.ledger_file), so
that a restore of the key store too loses nothing. After a restore, `reapply_erasures`
(given the file) finds people whose identifiers are in it and erases them again.
Which identifiers single a person out is the identity domain's to say
(SubjectResolver.identifiers); the ledger only hashes them."""

import hashlib
import hmac
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from compliance.audit.crypto import master_key
from compliance.dsar import ledger_file
from compliance.dsar.models import ErasureLedgerEntry
from compliance.subjects import Identifier


@cache
def ledger_key() -> bytes:
    """ERASURE_LEDGER_KEY if set, otherwise derived from the audit master key (HKDF), so
    the hashes are useless to whoever holds only a database dump."""
    configured: str = settings.ERASURE_LEDGER_KEY
    if configured:
        return configured.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"erasure-ledger").derive(
        master_key()
    )


def digest(kind: str, value: str) -> str:
    normalised = "".join(value.split()) if kind == "phone" else value.strip().lower()
    return hmac.new(ledger_key(), f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def digests(identifiers: Iterable[Identifier]) -> list[str]:
    return sorted({digest(kind, value) for kind, value in identifiers})


def ledger_record(identifiers: Iterable[Identifier], *, subject: str) -> int:
    """Publish the identifiers' digests (and the subject's pseudonymous id) to the ledger
    file, then add them to the key store's ledger (again is harmless). Returns how many.
    A file that cannot be written raises LedgerFileError before anything is recorded."""
    hashed = {digest(kind, value): kind for kind, value in identifiers}
    ledger_file.ledger_file_append(
        key=ledger_key(), op=ledger_file.ERASED, digests=hashed, subject=subject
    )
    _entries_add(hashed)
    return len(hashed)


def ledger_known(candidates: Iterable[str]) -> set[str]:
    return set(
        ErasureLedgerEntry.objects.filter(digest__in=set(candidates)).values_list(
            "digest", flat=True
        )
    )


def ledger_blocking(identifiers: Iterable[Identifier]) -> list[str]:
    """The digests of these identifiers that the ledger holds: the identity, or part of
    it, was erased. Sorted, so the same identity always gives the same list."""
    return sorted(ledger_known(digests(identifiers)))


def ledger_lift(candidates: Iterable[str]) -> int:
    """Take these digests out of the ledger (a rehire the privacy officer allowed),
    published first to the ledger file so that a restored key store does not block the
    rehire again. Returns how many were there."""
    entries = ErasureLedgerEntry.objects.filter(digest__in=set(candidates))
    lifted = dict(entries.values_list("digest", "kind"))
    ledger_file.ledger_file_append(key=ledger_key(), op=ledger_file.LIFTED, digests=lifted)
    deleted, _ = entries.delete()
    return deleted


def ledger_replay(path: Path) -> ledger_file.Replay:
    """A copy of the published ledger file, its chain verified (LedgerFileError if not)."""
    return ledger_file.ledger_file_replay(path, key=ledger_key())


def ledger_restore(replay: ledger_file.Replay, *, chunk_size: int = 1000) -> tuple[int, int]:
    """Bring the key store's ledger in line with a verified ledger file after a restore:
    add the blocked digests it lacks, remove those a later lift ended. Returns how many
    were added and removed."""
    before = ErasureLedgerEntry.objects.count()
    blocked = sorted(replay.blocked.items())
    for start in range(0, len(blocked), chunk_size):
        _entries_add(dict(blocked[start : start + chunk_size]))
    added = ErasureLedgerEntry.objects.count() - before
    removed = 0
    lifted = sorted(replay.lifted)
    for start in range(0, len(lifted), chunk_size):
        chunk = lifted[start : start + chunk_size]
        deleted, _ = ErasureLedgerEntry.objects.filter(digest__in=chunk).delete()
        removed += deleted
    return added, removed


def _entries_add(hashed: dict[str, str]) -> None:
    ErasureLedgerEntry.objects.bulk_create(
        [ErasureLedgerEntry(digest=key, kind=kind) for key, kind in hashed.items()],
        ignore_conflicts=True,
    )
