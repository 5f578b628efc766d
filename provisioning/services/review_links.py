"""Signed, expiring links to a reviewer's items, made like approval links: the link
carries the assignment's id and a random nonce, signed with a timestamp; the database
keeps only the nonce's SHA-256. A link serves every decision of its reviewer (each item is
decided once) until the review closes, the link expires or a reminder replaces it."""

import hashlib
import secrets
from datetime import timedelta
from hmac import compare_digest
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse

from provisioning.errors import LinkExpiredError, LinkInvalidError, ReviewLinkUsedError
from provisioning.models import CampaignRun, ReviewAssignment

SALT = "provisioning.review-link"


def review_nonce() -> tuple[str, str]:
    """A fresh nonce and its digest: the digest is stored, the nonce goes in the link."""
    nonce = secrets.token_urlsafe(32)
    return nonce, _digest(nonce)


def review_link(assignment: ReviewAssignment, nonce: str) -> str:
    """The path of the link for this assignment and nonce."""
    token = signing.dumps({"r": str(assignment.pk), "n": nonce}, salt=SALT)
    return reverse("reviews:items", kwargs={"token": token})


def review_link_open(
    token: str, *, queryset: QuerySet[ReviewAssignment] | None = None
) -> ReviewAssignment:
    """The assignment a link is for, or the reason it cannot be used."""
    max_age = timedelta(days=settings.REVIEW_LINK_MAX_AGE_DAYS)
    try:
        payload: dict[str, Any] = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkExpiredError from error
    except signing.BadSignature as error:
        raise LinkInvalidError from error
    queryset = ReviewAssignment.objects.all() if queryset is None else queryset
    assignment = queryset.select_related("run__campaign").filter(pk=str(payload.get("r"))).first()
    if assignment is None:
        raise LinkInvalidError
    if (
        assignment.run.status == CampaignRun.Status.CLOSED
        or not assignment.token_hash
        or not compare_digest(assignment.token_hash, _digest(str(payload.get("n", ""))))
    ):
        raise ReviewLinkUsedError
    return assignment


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()
