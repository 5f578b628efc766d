"""Per-subject encryption of personal data in the audit trail (AES-GCM, keys wrapped with
AES key wrap under the master key from the environment).

Each subject has one key per calendar quarter (its epoch), stored as "<subject>@<epoch>",
and the epoch is written before the sealed details ("2026q4:<base64>"). Destroying a
subject's keys erases all their details; destroying the keys of quarters past the
retention period erases only the old details (compliance.retention), and the chain, which
hashes the ciphertext, still verifies. Details sealed before epochs (no prefix) are under
the subject's first key, named by the subject alone."""

import base64
import json
import os
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from compliance.audit.models import SubjectKey

NONCE_BYTES = 12
EPOCH_MARK = "@"  # between the subject and the epoch, in a key's name
EPOCH_END = ":"  # after the epoch, in a ciphertext (base64 never holds one)


def epoch_of(moment: datetime) -> str:
    """The quarter a moment falls in (UTC): 2026q4."""
    utc = moment.astimezone(UTC)
    return f"{utc.year}q{(utc.month - 1) // 3 + 1}"


def epoch_start(moment: datetime) -> datetime:
    """The first instant of the quarter a moment falls in (UTC)."""
    utc = moment.astimezone(UTC)
    return utc.replace(
        month=3 * ((utc.month - 1) // 3) + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def key_name(subject_id: str, ciphertext: str) -> str:
    """The key that sealed a ciphertext: the subject's key of its epoch, or the first."""
    epoch, mark, _ = ciphertext.partition(EPOCH_END)
    return f"{subject_id}{EPOCH_MARK}{epoch}" if mark else subject_id


class Sealed(Protocol):
    subject_id: str
    ciphertext: str


class WritingKeys(dict[str, bytes]):
    """The subjects' keys of one epoch, by subject: what encrypt_with() seals with."""

    def __init__(self, keys: Mapping[str, bytes], epoch: str) -> None:
        super().__init__(keys)
        self.epoch = epoch


@cache
def master_key() -> bytes:
    """AUDIT_MASTER_KEY (32 bytes, base64). In development it is derived from SECRET_KEY;
    settings refuse to start without it when DEBUG is off."""
    configured: str = settings.AUDIT_MASTER_KEY
    if configured:
        return base64.urlsafe_b64decode(configured)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"audit-master-key").derive(
        settings.SECRET_KEY.encode()
    )


def keys_for_writing(subject_ids: Collection[str]) -> WritingKeys:
    """This quarter's keys to encrypt these subjects' details with, creating the missing
    ones: one query to read them and, when some are new, one insert, whatever the
    batch's size."""
    epoch = epoch_of(timezone.now())
    names = {f"{subject_id}{EPOCH_MARK}{epoch}": subject_id for subject_id in subject_ids}
    stored = _unwrapped(names)
    missing = set(names) - set(stored)
    if missing:
        fresh = {name: AESGCM.generate_key(bit_length=256) for name in missing}
        try:
            SubjectKey.objects.bulk_create(
                SubjectKey(subject_id=name, wrapped_key=aes_key_wrap(master_key(), key))
                for name, key in fresh.items()
            )
        except IntegrityError:  # a concurrent writer created some of them first: theirs hold
            return keys_for_writing(subject_ids)
        stored |= fresh
    return WritingKeys({names[name]: key for name, key in stored.items()}, epoch)


def encrypt_with(keys: WritingKeys, subject_id: str, payload: dict[str, Any]) -> str:
    """Seal a subject's details with their key, fetched beforehand by keys_for_writing(),
    naming the key's epoch in front."""
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(payload, sort_keys=True, default=str).encode()
    sealed = AESGCM(keys[subject_id]).encrypt(nonce, plaintext, subject_id.encode())
    return f"{keys.epoch}{EPOCH_END}{base64.b64encode(nonce + sealed).decode()}"


def decrypt(subject_id: str, ciphertext: str) -> dict[str, Any] | None:
    """The payload, or None once the subject's key has been destroyed."""
    if not ciphertext:
        return {}
    name = key_name(subject_id, ciphertext)
    return _open(_unwrapped([name]).get(name), subject_id, ciphertext)


def reading_keys(events: Iterable[Sealed]) -> dict[str, bytes]:
    """The keys that still exist for these events' details, in one query: for decrypting
    many events (an export, a report) without a key-store round trip per event."""
    return _unwrapped(
        {key_name(event.subject_id, event.ciphertext) for event in events if event.ciphertext}
    )


def _unwrapped(names: Collection[str]) -> dict[str, bytes]:
    stored = SubjectKey.objects.filter(subject_id__in=names).values_list(
        "subject_id", "wrapped_key"
    )
    return {name: aes_key_unwrap(master_key(), bytes(wrapped)) for name, wrapped in stored}


def decrypt_with(
    keys: Mapping[str, bytes], subject_id: str, ciphertext: str
) -> dict[str, Any] | None:
    """decrypt() with keys fetched beforehand by reading_keys()."""
    if not ciphertext:
        return {}
    return _open(keys.get(key_name(subject_id, ciphertext)), subject_id, ciphertext)


def _open(key: bytes | None, subject_id: str, ciphertext: str) -> dict[str, Any] | None:
    if key is None:
        return None
    raw = base64.b64decode(ciphertext.rpartition(EPOCH_END)[2])
    try:
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject_id.encode())
    except InvalidTag:
        return None
    result: dict[str, Any] = json.loads(plaintext)
    return result


def destroy_subject_key(subject_id: str) -> bool:
    """Crypto-shred: the subject's audit details can no longer be read. True if a key existed."""
    deleted, _ = SubjectKey.objects.filter(
        Q(subject_id=subject_id) | Q(subject_id__startswith=f"{subject_id}{EPOCH_MARK}")
    ).delete()
    return deleted > 0


def epoch_keys_destroy(*, before: datetime, limit: int) -> int:
    """Crypto-shred by age: destroy up to `limit` quarterly keys created before `before`,
    the start of a quarter, so every detail they sealed is older than it. Returns how
    many."""
    old = SubjectKey.objects.filter(subject_id__contains=EPOCH_MARK, created__lt=before)
    chunk = list(old.order_by("pk").values_list("pk", flat=True)[:limit])
    deleted, _ = SubjectKey.objects.filter(pk__in=chunk).delete()
    return deleted
