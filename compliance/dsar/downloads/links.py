"""The requester's download link: the signed token names the link's row and carries a
random nonce, of which the database keeps only the SHA-256 (as approval links do). Reading
a link changes nothing: a mail scanner that opens it downloads nothing and uses nothing up.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from hmac import compare_digest
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from compliance.dsar.models import RequesterDownloadLink
from compliance.errors import PackageLinkError

SALT = "compliance.dsar.requester-download"
INVALID = "This link is not valid. Check that the whole address from the e-mail was used."
GONE = (
    "This copy of your data is no longer kept: it was deleted at the end of its retention "
    "period, or because your data was erased. Ask the privacy team if you need a new copy."
)


def nonce_new() -> tuple[str, str]:
    """A fresh nonce and the hash to keep of it."""
    nonce = secrets.token_urlsafe(32)
    return nonce, _digest(nonce)


def link_token(link: RequesterDownloadLink, nonce: str) -> str:
    return signing.dumps({"l": str(link.pk), "n": nonce}, salt=SALT, compress=False)


def link_url(token: str) -> str:
    path = reverse("dsar-download", args=[token])
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def link_from_token(token: str) -> RequesterDownloadLink:
    """The link a token names, with its package, or why there is none."""
    max_age = timedelta(days=settings.DSAR_REQUESTER_LINK_DAYS)
    try:
        payload: dict[str, Any] = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise PackageLinkError(expired_message()) from error
    except signing.BadSignature as error:
        raise PackageLinkError(INVALID) from error
    link = (
        RequesterDownloadLink.objects.select_related("package", "package__request")
        .filter(pk=str(payload.get("l")))
        .first()
    )
    if link is None:
        raise PackageLinkError(GONE)
    if not compare_digest(link.nonce_hash, _digest(str(payload.get("n", "")))):
        raise PackageLinkError(INVALID)
    return link


def link_refusal(link: RequesterDownloadLink, *, now: datetime) -> str:
    """Why this link can no longer download, or "" if it can."""
    if link.expires_at <= now:
        return expired_message()
    if link.downloads_left == 0:
        return (
            f"This link was used for the {link.downloads_allowed} downloads it allows. "
            "Ask the privacy team if you need the file again."
        )
    return ""


def expired_message() -> str:
    return "This link has expired. Ask the privacy team if you still need a copy of your data."


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()
