"""Per-subject encryption of personal data in the audit trail (AES-GCM, keys wrapped with
AES key wrap under the master key from the environment)."""

import base64
import json
import os
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.db import IntegrityError

from compliance.audit.models import SubjectKey

NONCE_BYTES = 12


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


def keys_for_writing(subject_ids: Collection[str]) -> dict[str, bytes]:
    """The keys to encrypt these subjects' details with, creating the missing ones: one
    query to read them and, when some are new, one insert, whatever the batch's size."""
    keys = subject_keys(subject_ids)
    missing = set(subject_ids) - set(keys)
    if not missing:
        return keys
    fresh = {subject_id: AESGCM.generate_key(bit_length=256) for subject_id in missing}
    try:
        SubjectKey.objects.bulk_create(
            SubjectKey(subject_id=subject_id, wrapped_key=aes_key_wrap(master_key(), key))
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
    stored = SubjectKey.objects.filter(subject_id__in=subject_ids).values_list(
        "subject_id", "wrapped_key"
    )
    return {subject: aes_key_unwrap(master_key(), bytes(wrapped)) for subject, wrapped in stored}


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
