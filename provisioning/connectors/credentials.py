"""A connector's secret (bearer token or OAuth client secret), sealed at rest with AES-GCM
under a key derived (HKDF) from the portal's master key. The connector's id is bound in
as associated data, so a sealed secret copied onto another connector does not open."""

import base64
import hmac
import os
from functools import cache
from hashlib import sha256
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from compliance.audit.crypto import NONCE_BYTES, master_key
from provisioning.connectors.errors import ConnectorConfigurationError


@cache
def _derived(purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master_key())


def seal(secret: str, *, connector_id: UUID) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_derived(b"outbound-connector-secret")).encrypt(
        nonce, secret.encode(), connector_id.bytes
    )
    return base64.b64encode(nonce + sealed).decode()


def unseal(sealed: str, *, connector_id: UUID) -> str:
    if not sealed:
        raise ConnectorConfigurationError("the connector has no stored secret")
    raw = base64.b64decode(sealed)
    try:
        plain = AESGCM(_derived(b"outbound-connector-secret")).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], connector_id.bytes
        )
    except InvalidTag as error:
        raise ConnectorConfigurationError("the stored secret cannot be opened") from error
    return plain.decode()


def digest(value: object) -> str:
    """A keyed digest of a pushed value: equal values compare equal, values stay unknown."""
    key = _derived(b"outbound-pushed-digest")
    return hmac.new(key, repr(value).encode(), sha256).hexdigest()[:32]
