"""Findings and breaches: what the alert rules found, the privacy officer's triage of it,
and, for a personal-data breach, what GDPR Art. 33 and 34 require: the 72-hour clock from
the moment the organisation became aware (triage), the facts a notification carries, and
whether the people affected were told.

One table, two views: a row starts as a *finding*; triage turns it into a *breach*, or
closes it as not a personal-data breach, or merges it into a breach already open."""

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

    class Stage(models.TextChoices):
        FINDING = "finding", "finding awaiting triage"
        BREACH = "breach", "personal-data breach"
        NOT_BREACH = "not-breach", "not a personal-data breach"
        MERGED = "merged", "merged into a breach"

    class SubjectsInformed(models.TextChoices):
        """GDPR Art. 34: whether the people affected were told."""

        UNDECIDED = "", "not decided yet"
        INFORMED = "informed", "yes, they were told"
        NOT_INFORMED = "not-informed", "no (Art. 34(3) applies)"

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
    detected_at = models.DateTimeField(help_text="When a rule first found it.")
    stage = models.CharField(
        max_length=12, choices=Stage.choices, default=Stage.FINDING, db_index=True
    )
    occurrences = models.PositiveIntegerField(
        default=1, help_text="How many times the rules found it while it awaited triage."
    )
    last_detected_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    triage_reason = models.TextField(
        blank=True, help_text="Why it is, or is not, a personal-data breach."
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_findings",
        limit_choices_to={"stage": "breach"},
    )
    aware_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the organisation became aware of a breach (triage); the 72-hour "
        "deadline counts from here.",
    )
    # GDPR Art. 33(3): what a notification to the supervisory authority describes.
    nature = models.TextField(
        "nature of the breach",
        blank=True,
        help_text="What happened: confidentiality, integrity or availability, and how.",
    )
    subject_categories = models.TextField(
        "categories of data subjects", blank=True, help_text="For example employees, contractors."
    )
    subjects_approx = models.PositiveIntegerField(
        "approximate number of data subjects", null=True, blank=True
    )
    record_categories = models.TextField(
        "categories of personal data records",
        blank=True,
        help_text="For example names and work e-mail addresses, access rights.",
    )
    records_approx = models.PositiveIntegerField(
        "approximate number of records", null=True, blank=True
    )
    consequences = models.TextField("likely consequences", blank=True)
    measures = models.TextField(
        "measures taken or proposed",
        blank=True,
        help_text="To address the breach and mitigate its possible adverse effects.",
    )
    dpo_contact = models.CharField(
        "DPO or other contact point",
        max_length=254,
        blank=True,
        help_text="Where the authority obtains more information.",
    )
    # GDPR Art. 34: communication to the people affected.
    subjects_informed = models.CharField(
        "data subjects told",
        max_length=16,
        choices=SubjectsInformed.choices,
        default=SubjectsInformed.UNDECIDED,
        blank=True,
    )
    subjects_informed_at = models.DateTimeField("told at", null=True, blank=True)
    subjects_informed_how = models.TextField(
        "how they were told", blank=True, help_text="The channel and what they were told."
    )
    subjects_not_informed_reason = models.TextField(
        "why they were not told",
        blank=True,
        help_text="Art. 34(3): the data was unintelligible to others (encrypted), later "
        "measures removed the high risk, or it would take disproportionate effort (then a "
        "public communication).",
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
                condition=Q(status="open", stage="finding"),
                name="incident_one_open_finding_per_kind_and_key",
            ),
            models.CheckConstraint(
                condition=~Q(stage="breach") | Q(aware_at__isnull=False),
                name="incident_breach_has_awareness",
            ),
            models.CheckConstraint(
                condition=Q(stage="merged", merged_into__isnull=False)
                | (~Q(stage="merged") & Q(merged_into__isnull=True)),
                name="incident_merged_names_its_breach",
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
    def is_breach(self) -> bool:
        return self.stage == self.Stage.BREACH

    @property
    def notification_deadline(self) -> datetime | None:
        """GDPR Art. 33(1): 72 hours after becoming aware of a breach; a finding has none.
        Computed, never stored, so that correcting the awareness time moves it."""
        return self.aware_at + NOTIFICATION_WINDOW if self.aware_at else None


class Finding(Incident):
    """The findings the privacy officers triage, in the admin."""

    class Meta:
        proxy = True
        ordering = ["-detected_at"]


class Breach(Incident):
    """The personal-data breaches, with their clock, in the admin."""

    class Meta:
        proxy = True
        ordering = ["-aware_at"]
        verbose_name_plural = "breaches"


class AlertWatermark(models.Model):
    """The last audit event the alert rules have looked at, so no event counts twice."""

    name = models.CharField(max_length=32, primary_key=True)
    sequence = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at #{self.sequence}"
