"""What approval and review links share: a signed, timestamped token carrying an object's
id and a random nonce, of which the database keeps only the SHA-256. A leaked copy of the
database holds no usable link, and replacing or clearing the digest retires the link."""

import hashlib
import secrets
from datetime import timedelta
from hmac import compare_digest
from typing import Any, TypeVar

from django.core import signing
from django.db.models import Model, QuerySet

from provisioning.errors import LinkExpiredError, LinkInvalidError

M = TypeVar("M", bound=Model)


def nonce_new() -> tuple[str, str]:
    """A fresh nonce and its digest: the digest is stored, the nonce goes in the link."""
    nonce = secrets.token_urlsafe(32)
    return nonce, _digest(nonce)


def token_sign(*, salt: str, key: str, pk: object, nonce: str) -> str:
    return signing.dumps({key: str(pk), "n": nonce}, salt=salt)


def token_open(
    token: str, *, salt: str, key: str, max_age: timedelta, queryset: QuerySet[M]
) -> tuple[M, str]:
    """The object a token names, and the nonce it carries; LinkExpiredError or
    LinkInvalidError when the signature is old, wrong or names nothing."""
    try:
        payload: dict[str, Any] = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkExpiredError from error
    except signing.BadSignature as error:
        raise LinkInvalidError from error
    found = queryset.filter(pk=str(payload.get(key))).first()
    if found is None:
        raise LinkInvalidError
    return found, str(payload.get("n", ""))


def nonce_matches(token_hash: str, nonce: str) -> bool:
    """Whether the nonce is the live one (an empty digest matches nothing)."""
    return bool(token_hash) and compare_digest(token_hash, _digest(nonce))


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()
