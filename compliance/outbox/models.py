"""Outbox rows: one per promised side effect, from the change's commit until delivery."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to run once: its name, its arguments (ids only), and where it stands.
    A payload that holds personal data or a live secret (an e-mail with its approval
    link) is kept sealed, never in `args`, and wiped once delivered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=200)
    # What the message is about, for the backlog counts: "connector:<id>", "email", ...
    topic = models.CharField(max_length=80, blank=True, default="")
    args = models.JSONField(default=list)
    sealed = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    # The run that holds the message (host:pid:nonce) and until when, renewed by its
    # heartbeat (claim.py): a copy handed over meanwhile waits instead of running beside it.
    claim = models.CharField(max_length=80, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox message"
        indexes = [
            # The relay's and the backlog's reads: rows not yet handed to the broker.
            models.Index(
                fields=["created_at"], name="outbox_waiting", condition=Q(sent_at__isnull=True)
            ),
            # The sweep's: handed over, not yet done.
            models.Index(
                fields=["sent_at"],
                name="outbox_in_flight",
                condition=Q(sent_at__isnull=False, delivered_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} ({self.pk})"
