"""The erasure ledger: keyed hashes (HMAC-SHA256) of erased people's identifiers, kept in
the key store beside the subject keys, apart from the main database's backups. After a
restore, `reapply_erasures` finds people whose identifiers are in it and erases them again.
Which identifiers single a person out is the identity domain's to say
(SubjectResolver.identifiers); the ledger only hashes them."""

import hashlib
import hmac
from collections.abc import Iterable
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from compliance.audit.crypto import master_key
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


def ledger_record(identifiers: Iterable[Identifier]) -> int:
    """Add the identifiers' digests to the ledger (again is harmless). Returns how many."""
    entries = [
        ErasureLedgerEntry(digest=digest(kind, value), kind=kind) for kind, value in identifiers
    ]
    ErasureLedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)
    return len({entry.digest for entry in entries})


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
    """Take these digests out of the ledger (a rehire the privacy officer allowed).
    Returns how many were there."""
    deleted, _ = ErasureLedgerEntry.objects.filter(digest__in=set(candidates)).delete()
    return deleted
