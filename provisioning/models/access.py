"""Access governance: roles bundle entitlements; templates grant roles by birthright;
requests earn them through staged approvals; grants record who holds what, and until when."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from provisioning.models.identity import Entitlement, Person

MATCH_FIELDS = ("department", "title", "employment_type", "location")


class Role(models.Model):
    """A named bundle of entitlements, owned by the member of staff who approves access to it."""

    class Risk(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"

    class OnTimeout(models.TextChoices):
        ESCALATE = "escalate", "escalate to the approver's manager"
        REJECT = "reject", "reject the request"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    entitlements = models.ManyToManyField(Entitlement, related_name="roles", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_roles",
        help_text="Approves every request for this role (the last approval stage).",
    )
    risk_level = models.CharField(max_length=8, choices=Risk.choices, default=Risk.LOW)
    max_duration = models.DurationField(
        default=timedelta(days=90),
        help_text="The longest a request may ask for.",
    )
    requestable = models.BooleanField(
        default=True, help_text="Whether staff may request it; if not, only templates grant it."
    )
    on_timeout = models.CharField(
        "when an approval times out",
        max_length=8,
        choices=OnTimeout.choices,
        default=OnTimeout.ESCALATE,
        help_text="After the reminder, an unanswered approval escalates or is rejected.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="role_name_ci_unique",
                violation_error_message="A role with this name already exists (names ignore case).",
            ),
            models.CheckConstraint(
                condition=Q(max_duration__gt=timedelta(0)),
                name="role_max_duration_positive",
                violation_error_message="The longest request must be longer than zero.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoleTemplate(models.Model):
    """A birthright rule. Each condition is an exact, case-insensitive match on the person's
    attribute; a blank condition matches anyone. A person matching every condition of an
    active template holds its roles."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    department = models.CharField(max_length=255, blank=True, help_text="Blank: any department.")
    title = models.CharField(max_length=255, blank=True, help_text="Blank: any title.")
    employment_type = models.CharField(
        max_length=255, blank=True, help_text="Blank: any employment type."
    )
    location = models.CharField(max_length=255, blank=True, help_text="Blank: any location.")
    roles = models.ManyToManyField(Role, related_name="templates")
    duration = models.DurationField(
        null=True,
        blank=True,
        help_text="Blank: the grants last while the person matches. Otherwise they expire.",
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "role template"
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="roletemplate_name_ci_unique",
                violation_error_message=(
                    "A template with this name already exists (names ignore case)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def conditions(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in MATCH_FIELDS if getattr(self, name)}


class SodRule(models.Model):
    """Two roles that one person should not hold together."""

    class Effect(models.TextChoices):
        REFUSE = "refuse", "refuse the request"
        EXTRA_APPROVAL = "extra-approval", "require an extra approval"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role_a = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="+")
    role_b = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="+")
    effect = models.CharField(max_length=16, choices=Effect.choices, default=Effect.REFUSE)
    extra_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sod_reviews",
        help_text="Who gives the extra approval (required for that effect).",
    )
    description = models.TextField(blank=True, help_text="Why these roles conflict.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "separation-of-duties rule"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role_a=F("role_b")),
                name="sodrule_two_roles",
                violation_error_message="A rule needs two different roles.",
            ),
            models.UniqueConstraint(
                fields=["role_a", "role_b"],
                name="sodrule_unique_pair",
                violation_error_message="A rule for these two roles already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(effect="extra-approval") | Q(extra_approver__isnull=False),
                name="sodrule_extra_approval_has_approver",
                violation_error_message="A rule that asks for an extra approval needs a reviewer.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_a} / {self.role_b}"


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access_requests")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    justification = models.TextField()
    duration = models.DurationField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "access request"

    def __str__(self) -> str:
        return f"{self.role} for {self.person}"


class Approval(models.Model):
    """One stage of a request's approval. Stages are planned when the request is made and
    decided in order; only the current stage is PENDING and has a live e-mail link."""

    class Kind(models.TextChoices):
        MANAGER = "manager", "the person's manager"
        OWNER = "owner", "the role owner"
        SOD = "sod", "separation-of-duties reviewer"

    class Decision(models.TextChoices):
        WAITING = "waiting", "waiting for an earlier stage"
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        ESCALATED = "escalated"
        SKIPPED = "skipped", "skipped (the request ended earlier)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="approvals")
    stage = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    approver_email = models.EmailField()
    decision = models.CharField(
        max_length=16, choices=Decision.choices, default=Decision.WAITING, db_index=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the nonce in the live e-mail link; cleared when the link is used up.
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    escalated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Deleting a rule first withdraws its open stages (a service's work); the decided ones
    # stay as history, no longer pointing at a rule.
    sod_rule = models.ForeignKey(
        SodRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approvals",
        editable=False,
        verbose_name="separation-of-duties rule",
        help_text="The rule that asked for this review (separation-of-duties stages only).",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "stage", "created"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(decision="pending"),
                name="approval_one_pending_stage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request}: stage {self.stage} ({self.get_kind_display()})"


class AccessGrant(models.Model):
    """A person holds a role or a single entitlement: a role from a template, an approved
    request or a manual grant; an entitlement by a manual grant only (templates and requests
    deal in roles, the bundles their owners answer for)."""

    class Source(models.TextChoices):
        TEMPLATE = "template", "birthright template"
        REQUEST = "request", "approved request"
        MANUAL = "manual", "granted by hand"

    class Status(models.TextChoices):
        ACTIVE = "active"
        REVOKED = "revoked"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="grants")
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    entitlement = models.ForeignKey(
        Entitlement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        help_text="Held directly, outside any role.",
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    template = models.ForeignKey(
        RoleTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants"
    )
    request = models.ForeignKey(
        AccessRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants"
    )
    granted_by = models.CharField(max_length=255, help_text="A staff username or a system task.")
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    reason = models.TextField(blank=True, help_text="Why it was granted.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=255, blank=True)
    revocation_reason = models.TextField(blank=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "access grant"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "role"],
                condition=Q(status="active"),
                name="accessgrant_one_active_per_role",
            ),
            models.UniqueConstraint(
                fields=["person", "entitlement"],
                condition=Q(status="active"),
                name="accessgrant_one_active_per_entitlement",
            ),
            models.CheckConstraint(
                condition=Q(role__isnull=False, entitlement__isnull=True)
                | Q(role__isnull=True, entitlement__isnull=False, source="manual"),
                name="accessgrant_role_or_manual_entitlement",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("starts_at")),
                name="accessgrant_expires_after_start",
                violation_error_message="The access must end after it starts.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="active"),
                name="accessgrant_active_expiry_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held} for {self.person}"

    @property
    def held(self) -> Role | Entitlement:
        """What the grant gives: its role, or its entitlement."""
        held = self.role or self.entitlement
        assert held is not None  # the role-or-entitlement constraint
        return held


class ScheduledChange(models.Model):
    """A joiner's start or a leaver's end dated in the future: scheduled until a periodic
    task carries it out on its date, or until it is cancelled."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        DONE = "done"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    done_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class ScheduledOffboarding(ScheduledChange):
    """A leaver dated in the future; a periodic task carries it out on that date."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="offboardings")
    effective_on = models.DateField()
    reason = models.TextField()

    class Meta:
        ordering = ["effective_on"]
        verbose_name = "scheduled offboarding"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="scheduled"),
                name="offboarding_one_scheduled_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} leaves on {self.effective_on}"


class ScheduledOnboarding(ScheduledChange):
    """A joiner dated in the future: created inactive, so no access and no active account
    downstream before their first day; a periodic task activates them on that date."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="onboardings")
    template = models.ForeignKey(
        RoleTemplate, null=True, on_delete=models.SET_NULL, related_name="onboardings"
    )
    starts_on = models.DateField()

    class Meta:
        ordering = ["starts_on"]
        verbose_name = "scheduled onboarding"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="scheduled"),
                name="onboarding_one_scheduled_per_person",
                violation_error_message="This person already has a start date scheduled.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} starts on {self.starts_on:%d %b %Y}"
