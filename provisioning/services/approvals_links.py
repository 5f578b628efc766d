"""Signed, single-use, expiring approval links. The link carries the approval's id and a
random nonce, signed with a timestamp; the database keeps only the nonce's SHA-256, so a
leaked database copy holds no usable link, and clearing the hash uses the link up."""

import hashlib
import secrets
from datetime import timedelta
from hmac import compare_digest
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse

from provisioning.errors import LinkExpiredError, LinkInvalidError, LinkUsedError
from provisioning.models import Approval

SALT = "provisioning.approval-link"


def link_issue(approval: Approval) -> str:
    """Give the approval a fresh nonce (any older link stops working) and return the
    link's path. The caller saves the approval."""
    nonce = secrets.token_urlsafe(32)
    approval.token_hash = _digest(nonce)
    token = signing.dumps({"a": str(approval.pk), "n": nonce}, salt=SALT)
    return reverse("approvals:decide", kwargs={"token": token})


def link_open(token: str, *, queryset: QuerySet[Approval] | None = None) -> Approval:
    """The pending approval a link is for, or the reason it cannot be used."""
    max_age = timedelta(hours=settings.APPROVAL_LINK_MAX_AGE_HOURS)
    try:
        payload: dict[str, Any] = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkExpiredError from error
    except signing.BadSignature as error:
        raise LinkInvalidError from error
    queryset = Approval.objects.all() if queryset is None else queryset
    approval = queryset.filter(pk=str(payload.get("a"))).first()
    if approval is None:
        raise LinkInvalidError
    nonce = str(payload.get("n", ""))
    if (
        approval.decision != Approval.Decision.PENDING
        or not approval.token_hash
        or not compare_digest(approval.token_hash, _digest(nonce))
    ):
        raise LinkUsedError
    return approval


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()
