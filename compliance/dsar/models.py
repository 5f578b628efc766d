"""Data-subject requests, legal holds, export packages and the erasure engine's records."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from compliance.dsar.deadlines import Regulation


class RequestType(models.TextChoices):
    ACCESS = "access", "access (Art. 15 / right to know)"
    PORTABILITY = "portability", "portability export (Art. 20)"
    DELETION = "deletion", "deletion (Art. 17 / right to delete)"
    CORRECTION = "correction", "correction (Art. 16 / right to correct)"
    RESTRICTION = "restriction", "restriction of processing (GDPR Art. 18)"
    OBJECTION = "objection", "objection to processing (GDPR Art. 21)"
    SALE_OPT_OUT = "sale-opt-out", "opt-out of sale or sharing (CCPA §1798.120)"
    LIMIT_SENSITIVE = "limit-sensitive", "limit use of sensitive information (CCPA §1798.121)"


# The rights only one of the laws gives; a request of the other law cannot ask for them.
ONLY_UNDER: dict[str, str] = {
    RequestType.RESTRICTION: Regulation.GDPR,
    RequestType.OBJECTION: Regulation.GDPR,
    RequestType.SALE_OPT_OUT: Regulation.CCPA,
    RequestType.LIMIT_SENSITIVE: Regulation.CCPA,
}


class Status(models.TextChoices):
    RECEIVED = "received"
    VERIFIED = "verified", "identity verified"
    RUNNING = "running"
    READY = "ready", "fulfilled, to close"
    CLOSED = "closed"


class Outcome(models.TextChoices):
    FULFILLED = "fulfilled"
    DENIED = "denied"


class ObjectionDecision(models.TextChoices):
    UPHELD = "upheld", "upheld: the processing stops"
    REJECTED = "rejected", "rejected: compelling legitimate grounds override it"


class VerificationMethod(models.TextChoices):
    SSO = "sso", "signed in through the company identity provider"
    HR_RECORD = "hr-record", "matched against the HR record in person"
    EMAIL_CHALLENGE = "email-challenge", "code sent to the address on file"
    AUTHORISED_AGENT = "authorised-agent", "authorised agent with signed permission"


class DenialBasis(models.TextChoices):
    IDENTITY_UNVERIFIED = "identity-unverified", "identity could not be verified (Art. 12(6))"
    MANIFESTLY_UNFOUNDED = "manifestly-unfounded", "manifestly unfounded or excessive (Art. 12(5))"
    LEGAL_OBLIGATION = "legal-obligation", "retention required by law (Art. 17(3)(b))"
    LEGAL_CLAIMS = "legal-claims", "establishment or defence of legal claims (Art. 17(3)(e))"
    CCPA_EXCEPTION = "ccpa-exception", "a CCPA §1798.105(d) exception applies"


class DataSubjectRequest(models.Model):
    """A GDPR or CCPA request. Its deadlines are computed by compliance.dsar.deadlines and
    stored only so the queue can filter on them. After erasure it keeps no identifiers in
    the clear, only their keyed hashes, for the 24 months CCPA §7101 requires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    regulation = models.CharField(max_length=8, choices=Regulation.choices)
    type = models.CharField(max_length=16, choices=RequestType.choices)
    person = models.ForeignKey(
        "provisioning.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_subject_requests",
    )
    subject_identifiers = models.JSONField(
        default=dict, blank=True, help_text="The identifiers the requester gave."
    )
    identifier_hashes = models.JSONField(
        default=list, blank=True, help_text="Keyed hashes of the identifiers, after erasure."
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField()
    verification_method = models.CharField(
        max_length=24, choices=VerificationMethod.choices, blank=True
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    denial_basis = models.CharField(max_length=32, choices=DenialBasis.choices, blank=True)
    objection_decision = models.CharField(
        max_length=16,
        choices=ObjectionDecision.choices,
        blank=True,
        help_text="Objections only; the grounds are kept encrypted in the audit trail.",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledge_by = models.DateField(null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(editable=False, db_index=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = models.TextField(blank=True)
    extension_notified_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, while a task runs.")
    progress_label = models.CharField(max_length=100, blank=True)
    progress_at = models.DateTimeField(
        null=True, blank=True, help_text="When the running step last moved; stalls are requeued."
    )
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["due_on"]
        verbose_name = "data-subject request"
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="denied") | ~Q(denial_basis=""),
                name="dsar_denial_has_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_regulation_display()} {self.type} {str(self.pk)[:8]}"

    @property
    def subject_id(self) -> str:
        """The pseudonymous audit subject: the person, or the request itself."""
        return str(self.person_id) if self.person_id else f"dsar:{self.pk}"


class LegalHold(models.Model):
    """While not lifted, the person cannot be erased (request or retention)."""

    person = models.ForeignKey(
        "provisioning.Person", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"hold {self.pk} ({'lifted' if self.lifted_at else 'active'})"


class ExportPackage(models.Model):
    """A ZIP export, stored encrypted (AES-GCM) under its own key, which is wrapped by the
    subject's key: erasing the subject destroys every copy, backups included."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="packages"
    )
    person = models.ForeignKey(
        "provisioning.Person", on_delete=models.CASCADE, related_name="export_packages"
    )
    file = models.CharField(max_length=255, help_text="Path under MEDIA_ROOT, encrypted.")
    wrapped_key = models.BinaryField()
    sealed_for_subject = models.BooleanField(
        default=True,
        help_text="Its key is wrapped by the subject's key; if not, by the master key "
        "(a package made before that change, until the key rotation job re-seals it).",
    )
    sha256 = models.CharField(max_length=64, help_text="Of the ZIP before encryption.")
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("download_exportpackage", "Can download export packages")]

    def __str__(self) -> str:
        return f"package {str(self.pk)[:8]}"


class Erasure(models.Model):
    """One erasure of one person: by request, by retention, or again after a restore.
    Its steps say which erasers completed, so a retry resumes where it stopped."""

    class Reason(models.TextChoices):
        REQUEST = "request", "data-subject request"
        RETENTION = "retention", "retention period ended"
        RESTORE = "restore", "reapplied after a backup restore"
        DEPROVISIONING = "deprovisioning", "deleted or deactivated by the identity provider"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(
        DataSubjectRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="erasure"
    )
    person = models.ForeignKey("provisioning.Person", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    receipt = models.CharField(max_length=255, blank=True, help_text="Path under MEDIA_ROOT.")

    def __str__(self) -> str:
        return f"erasure {str(self.pk)[:8]}"


class ErasureStep(models.Model):
    """One eraser's completion, committed with the eraser's own changes."""

    erasure = models.ForeignKey(Erasure, on_delete=models.CASCADE, related_name="steps")
    eraser = models.CharField(max_length=64)
    store = models.CharField(max_length=100)
    completed_at = models.DateTimeField(auto_now_add=True)
    result = models.JSONField(default=dict, help_text="Counts and answers; no personal data.")

    class Meta:
        ordering = ["completed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["erasure", "eraser"], name="erasurestep_once"),
        ]

    def __str__(self) -> str:
        return f"{self.eraser} done"


class ErasureLedgerEntry(models.Model):
    """A keyed hash (HMAC-SHA256) of an identifier of an erased person. Restored backups
    are checked against it (`reapply_erasures`); it reveals nothing by itself."""

    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32)
    erased_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.digest[:12]}"


class PublishedLedgerHead(models.Model):
    """The last line of the published erasure ledger file (ERASURE_LEDGER_PATH) that this
    key store saw written: one row. A copy of the file presented after a restore must
    reach this line with this MAC, or it was truncated or is another ledger."""

    sequence = models.PositiveBigIntegerField()
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"ledger file at line {self.sequence}"
