"""Incidents: what the alert rules found, and the GDPR Art. 33 clock that runs from
the moment the organisation became aware of it."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

NOTIFICATION_WINDOW = timedelta(hours=72)  # GDPR Art. 33(1)


class Incident(models.Model):
    class Kind(models.TextChoices):
        BROKEN_AUDIT_CHAIN = "broken-audit-chain", "broken audit chain"
        MASS_DEPROVISIONING = "mass-deprovisioning", "mass deprovisioning"
        SCIM_AUTH_FAILURES = "scim-auth-failures", "burst of SCIM authentication failures"
        ACCESS_OUTSIDE_PROCESS = (
            "access-outside-process",
            "access granted outside requests and templates",
        )
        DISABLED_SCIM_CLIENT = "disabled-scim-client", "disabled SCIM client still trying"
        ERASED_IDENTITY_RETURNED = (
            "erased-identity-returned",
            "an identity erased at the data subject's request was presented again",
        )
        DEPROVISIONING_ERASURE_HELD = (
            "deprovisioning-erasure-held",
            "erasure on deprovisioning blocked by a legal hold",
        )

    class Severity(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"
        CRITICAL = "critical"

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.HIGH)
    summary = models.CharField(max_length=255, help_text="What was detected; no personal data.")
    details = models.JSONField(
        default=dict, blank=True, help_text="Counts, ids and sequence numbers; no personal data."
    )
    dedupe_key = models.CharField(
        max_length=128,
        blank=True,
        help_text="While an incident with this kind and key is open, the rule raises no other.",
    )
    detected_at = models.DateTimeField()
    aware_at = models.DateTimeField(
        help_text="When the organisation became aware; the 72-hour deadline counts from here."
    )
    awareness_reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    notified_to_authority = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closing_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "dedupe_key"],
                condition=Q(status="open"),
                name="incident_one_open_per_kind_and_key",
            ),
            models.CheckConstraint(
                condition=Q(notified_to_authority=False) | Q(notified_at__isnull=False),
                name="incident_notified_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="incident_closed_has_a_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "aware_at"], name="incident_status_aware_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    @property
    def notification_deadline(self) -> datetime:
        """GDPR Art. 33(1): 72 hours after becoming aware. Computed, never stored, so that
        correcting the awareness time moves the deadline with it."""
        return self.aware_at + NOTIFICATION_WINDOW


class AlertWatermark(models.Model):
    """The last audit event the alert rules have looked at, so no event counts twice."""

    name = models.CharField(max_length=32, primary_key=True)
    sequence = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at #{self.sequence}"
