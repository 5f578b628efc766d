"""Signed, single-use, expiring approval links (signed_links): clearing the approval's
digest uses the link up."""

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from provisioning.errors import LinkUsedError
from provisioning.models import Approval
from provisioning.services.signed_links import nonce_matches, nonce_new, token_open, token_sign

SALT = "provisioning.approval-link"


def link_issue(approval: Approval) -> str:
    """Give the approval a fresh nonce (any older link stops working) and return the
    link's path. The caller saves the approval."""
    nonce, approval.token_hash = nonce_new()
    token = token_sign(salt=SALT, key="a", pk=approval.pk, nonce=nonce)
    return reverse("approvals:decide", kwargs={"token": token})


def link_open(token: str, *, queryset: QuerySet[Approval] | None = None) -> Approval:
    """The pending approval a link is for, or the reason it cannot be used."""
    approval, nonce = token_open(
        token,
        salt=SALT,
        key="a",
        max_age=timedelta(hours=settings.APPROVAL_LINK_MAX_AGE_HOURS),
        queryset=Approval.objects.all() if queryset is None else queryset,
    )
    if approval.decision != Approval.Decision.PENDING or not nonce_matches(
        approval.token_hash, nonce
    ):
        raise LinkUsedError
    return approval
