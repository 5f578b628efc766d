"""Sealing outbox payloads that hold personal data or live secrets: AES-GCM under a key
derived from the audit master key, bound to the message id."""

import base64
import json
import os
from functools import cache
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from compliance.audit.crypto import master_key

NONCE_BYTES = 12


@cache
def _key() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"outbox").derive(
        master_key()
    )


def seal(payload: Any, *, message_id: UUID) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(payload, sort_keys=True).encode()
    sealed = AESGCM(_key()).encrypt(nonce, plaintext, str(message_id).encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(sealed: str, *, message_id: UUID) -> Any:
    raw = base64.b64decode(sealed)
    plaintext = AESGCM(_key()).decrypt(
        raw[:NONCE_BYTES], raw[NONCE_BYTES:], str(message_id).encode()
    )
    return json.loads(plaintext)
