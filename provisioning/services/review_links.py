"""Signed, expiring links to a reviewer's items, made like approval links (signed_links).
A link serves every decision of its reviewer (each item is decided once) until the review
closes, the link expires or a reminder replaces it."""

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from provisioning.errors import ReviewLinkUsedError
from provisioning.models import CampaignRun, ReviewAssignment
from provisioning.services.signed_links import nonce_matches, token_open, token_sign

SALT = "provisioning.review-link"


def review_link(assignment: ReviewAssignment, nonce: str) -> str:
    """The path of the link for this assignment and nonce."""
    token = token_sign(salt=SALT, key="r", pk=assignment.pk, nonce=nonce)
    return reverse("reviews:items", kwargs={"token": token})


def review_link_open(
    token: str, *, queryset: QuerySet[ReviewAssignment] | None = None
) -> ReviewAssignment:
    """The assignment a link is for, or the reason it cannot be used."""
    queryset = ReviewAssignment.objects.all() if queryset is None else queryset
    assignment, nonce = token_open(
        token,
        salt=SALT,
        key="r",
        max_age=timedelta(days=settings.REVIEW_LINK_MAX_AGE_DAYS),
        queryset=queryset.select_related("run__campaign"),
    )
    if assignment.run.status == CampaignRun.Status.CLOSED or not nonce_matches(
        assignment.token_hash, nonce
    ):
        raise ReviewLinkUsedError
    return assignment
