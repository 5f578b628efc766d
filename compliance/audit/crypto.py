"""Per-subject encryption of personal data in the audit trail: AES-GCM under each subject's
own key, kept in the key store wrapped (AES key wrap) under the keyring's current
key-encryption key (compliance.audit.keyring), which rotates. Keys wrapped before the
keyring existed name no KEK and are wrapped under the master key until rotation re-wraps
them."""

import base64
import json
import os
from collections.abc import Collection, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from django.db import IntegrityError, transaction

from compliance.audit.keyring import kek_current, kek_key, master_key
from compliance.audit.models import SubjectKey
from compliance.routers import KEY_STORE

__all__ = ["NONCE_BYTES", "master_key"]  # master_key: its home is the keyring, re-exported

NONCE_BYTES = 12
# Subject keys wrapped before the keyring existed: under the master key itself.
LEGACY_KEK = ""


def keys_for_writing(subject_ids: Collection[str]) -> dict[str, bytes]:
    """The keys to encrypt these subjects' details with, creating the missing ones: one
    query to read them and, when some are new, one insert, whatever the batch's size."""
    keys = subject_keys(subject_ids)
    missing = set(subject_ids) - set(keys)
    if not missing:
        return keys
    fresh = {subject_id: AESGCM.generate_key(bit_length=256) for subject_id in missing}
    kek = kek_current()
    try:
        SubjectKey.objects.bulk_create(
            SubjectKey(subject_id=subject_id, wrapped_key=aes_key_wrap(kek.key, key), kek=kek.id)
            for subject_id, key in fresh.items()
        )
    except IntegrityError:  # a concurrent writer created some of them first: theirs hold
        return keys | keys_for_writing(missing)
    return keys | fresh


def encrypt_with(keys: Mapping[str, bytes], subject_id: str, payload: dict[str, Any]) -> str:
    """Seal a subject's details with their key, fetched beforehand by keys_for_writing()."""
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(payload, sort_keys=True, default=str).encode()
    sealed = AESGCM(keys[subject_id]).encrypt(nonce, plaintext, subject_id.encode())
    return base64.b64encode(nonce + sealed).decode()


def decrypt(subject_id: str, ciphertext: str) -> dict[str, Any] | None:
    """The payload, or None once the subject's key has been destroyed."""
    if not ciphertext:
        return {}
    return _open(subject_keys([subject_id]).get(subject_id), subject_id, ciphertext)


def subject_keys(subject_ids: Collection[str]) -> dict[str, bytes]:
    """The keys of these subjects that still exist, in one query: for decrypting many
    events (an export, a report) without a key-store round trip per event."""
    stored = list(
        SubjectKey.objects.filter(subject_id__in=subject_ids).values_list(
            "subject_id", "wrapped_key", "kek"
        )
    )
    keks = {kek_id: _kek(kek_id) for kek_id in {kek_id for _, _, kek_id in stored}}
    unwrapped = ((subject, _unwrap(bytes(wrapped), keks[kek])) for subject, wrapped, kek in stored)
    return {subject: key for subject, key in unwrapped if key is not None}


def _kek(kek_id: str) -> bytes | None:
    """The key that wraps a subject key, or None once destroyed: a key restored from a
    key-store backup older than the retention window is as good as destroyed."""
    return master_key() if kek_id == LEGACY_KEK else kek_key(kek_id)


def _unwrap(wrapped: bytes, kek: bytes | None) -> bytes | None:
    if kek is None:
        return None
    try:
        return aes_key_unwrap(kek, wrapped)
    except InvalidUnwrap:
        return None


def decrypt_with(
    keys: Mapping[str, bytes], subject_id: str, ciphertext: str
) -> dict[str, Any] | None:
    """decrypt() with keys fetched beforehand by subject_keys()."""
    if not ciphertext:
        return {}
    return _open(keys.get(subject_id), subject_id, ciphertext)


def _open(key: bytes | None, subject_id: str, ciphertext: str) -> dict[str, Any] | None:
    if key is None:
        return None
    raw = base64.b64decode(ciphertext)
    try:
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject_id.encode())
    except InvalidTag:
        return None
    result: dict[str, Any] = json.loads(plaintext)
    return result


def destroy_subject_key(subject_id: str) -> bool:
    """Crypto-shred: the subject's audit details can no longer be read. True if a key existed."""
    deleted, _ = SubjectKey.objects.filter(subject_id=subject_id).delete()
    return deleted > 0


def subject_keys_rewrap(*, chunk_size: int) -> tuple[int, int]:
    """Re-wrap under the current KEK every subject key wrapped under another, a chunk at a
    time in key order (each chunk one read and one update, in its own transaction).
    Returns how many were re-wrapped, and how many no KEK could unwrap (lost already)."""
    current = kek_current()
    rewrapped = lost = 0
    after = 0
    while True:
        with transaction.atomic(using=KEY_STORE):
            chunk = list(
                SubjectKey.objects.select_for_update()
                .filter(pk__gt=after)
                .exclude(kek=current.id)
                .order_by("pk")[:chunk_size]
            )
            if not chunk:
                return rewrapped, lost
            movable = []
            for stored in chunk:
                key = _unwrap(bytes(stored.wrapped_key), _kek(stored.kek))
                if key is None:
                    lost += 1
                    continue
                stored.wrapped_key, stored.kek = aes_key_wrap(current.key, key), current.id
                movable.append(stored)
            SubjectKey.objects.bulk_update(movable, ["wrapped_key", "kek"])
        rewrapped += len(movable)
        after = chunk[-1].pk


def keks_needed(candidates: Collection[str]) -> set[str]:
    """Which of these KEKs some live subject key is still wrapped under: one indexed
    existence check per KEK (a handful), whatever the number of keys."""
    return {kek for kek in candidates if SubjectKey.objects.filter(kek=kek).exists()}
