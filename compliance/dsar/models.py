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


class Channel(models.TextChoices):
    """How the request reached the organisation (CCPA §7020: the methods offered)."""

    EMAIL = "email", "e-mail"
    WEB_FORM = "web-form", "web form"
    TELEPHONE = "telephone", "telephone (toll-free number)"
    POST = "post", "letter"
    IN_PERSON = "in-person", "in person"


class Certainty(models.TextChoices):
    """The degree of certainty of a verification (CCPA regulations §7062): reasonable for
    the categories of data held, reasonably high for specific pieces and for deletion."""

    REASONABLE = "reasonable", "reasonable degree"
    REASONABLY_HIGH = "reasonably-high", "reasonably high degree"


class DataPoint(models.TextChoices):
    """What the requester gave that matched the portal's records; the values themselves are
    not kept, only which kinds matched."""

    EMAIL_CONTROL = "email-control", "controls the e-mail address on file (one-time code)"
    EMPLOYEE_NUMBER = "employee-number", "employee number"
    DATE_OF_BIRTH = "date-of-birth", "date of birth (checked against the HR file)"
    MANAGER = "manager", "name of their manager"
    START_DATE = "start-date", "start date"
    PHONE = "phone", "telephone number on file"
    POSTAL_ADDRESS = "postal-address", "home address on file"


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

    # --- The requester, and how their identity was verified (notices branch) ---
    contact_email = models.EmailField(
        blank=True,
        help_text="Where the requester's notices go; blanked when the subject is erased.",
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    certainty = models.CharField(max_length=16, choices=Certainty.choices, blank=True)
    data_points = models.JSONField(
        default=list, blank=True, help_text="The kinds of data point that matched (no values)."
    )
    declaration_signed = models.BooleanField(
        default=False, help_text="A declaration under penalty of perjury was received."
    )

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


class Notice(models.Model):
    """A notice e-mailed to the requester (and their agent): what was sent, to whom, when.
    The message itself is not kept: it went through the outbox, sealed, and was wiped once
    sent; this is the record that it was given (GDPR Art. 12(3)-(4), CCPA §7021)."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement"
        CHALLENGE = "challenge", "Identity-verification challenge"
        EXTENSION = "extension"
        COMPLETION = "completion"
        DENIAL = "denial"

    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    recipients = models.JSONField(default=list, help_text="Addresses; blanked at erasure.")
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} notice"


class VerificationChallenge(models.Model):
    """A one-time code e-mailed to the address on file. Only its hash is kept (Django's
    password hashers); it expires and allows a few attempts. The same challenge can be
    answered by the officer (the code the requester replied with) or by the requester on
    the signed link's page."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="challenges"
    )
    code_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    passed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="Replaced by a newer code, or out of attempts."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"challenge {str(self.pk)[:8]}"


class AuthorisedAgent(models.Model):
    """Someone acting for the data subject (CCPA §7063; GDPR through a representative):
    who they are, their signed permission (stored encrypted under the subject's key, so it
    is crypto-shredded with them), and whether the consumer confirmed it directly."""

    request = models.OneToOneField(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="agent"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()
    proof_file = models.CharField(max_length=255, blank=True, help_text="Under MEDIA_ROOT, sealed.")
    proof_name = models.CharField(max_length=200, blank=True)
    proof_sha256 = models.CharField(max_length=64, blank=True)
    consumer_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="The consumer confirmed the agent's permission directly."
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "authorised agent"


class RequesterDownloadLink(models.Model):
    """The requester's own way to their export package: the completion notice carries a
    signed link naming this row and a random nonce. Only the nonce's SHA-256 is kept, so
    a copy of the database holds no usable link. It expires and allows a few downloads;
    it goes with its package (deleted at erasure or at the end of its retention)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    package = models.ForeignKey(
        ExportPackage, on_delete=models.CASCADE, related_name="requester_links"
    )
    nonce_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    downloads_allowed = models.PositiveSmallIntegerField()
    downloads = models.PositiveSmallIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"requester link {str(self.pk)[:8]}"

    @property
    def downloads_left(self) -> int:
        return max(self.downloads_allowed - self.downloads, 0)
