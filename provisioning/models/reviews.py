"""Access reviews: a campaign defines what is reviewed and by whom; each start of it is a
run, which freezes the access in scope as items, one per grant or group membership, and
addresses each item to one reviewer. Reviewers decide from an e-mailed link (or the admin);
what they revoke, and what the campaign's rule says for what they leave, is remediated
through the access services."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from provisioning.models.access import AccessGrant, Role
from provisioning.models.identity import Application, Entitlement, Group, Person


class Campaign(models.Model):
    """What a review covers, who reviews it, how long they have and what happens to the
    items they leave undecided. Starting it (by hand, or by beat when it recurs) makes a
    run; the definition can change between runs without touching a run's frozen items."""

    class ReviewerKind(models.TextChoices):
        MANAGER = "manager", "the person's manager"
        OWNER = "owner", "the application's owner, else the role's"
        NAMED = "named", "a named reviewer"

    class Undecided(models.TextChoices):
        KEEP = "keep", "keep the access"
        REVOKE = "revoke", "revoke the access"
        ESCALATE = "escalate", "escalate to the fallback reviewer"

    class Recurrence(models.TextChoices):
        NONE = "", "does not recur"
        MONTHLY = "monthly"
        QUARTERLY = "quarterly"
        YEARLY = "yearly"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, help_text="Why this access is reviewed.")
    # --- scope: every filter that is set must match; an empty one matches anything ---
    applications = models.ManyToManyField(
        Application,
        blank=True,
        related_name="+",
        help_text="Grants giving access to these applications (through a role or directly). "
        "Blank: any application.",
    )
    roles = models.ManyToManyField(
        Role, blank=True, related_name="+", help_text="Grants of these roles. Blank: any role."
    )
    risk_levels = models.JSONField(
        default=list,
        blank=True,
        help_text="Grants of roles at these risk levels. Blank: any level. Entitlements held "
        "directly have no risk level and are left out when a level is chosen.",
    )
    manual_only = models.BooleanField(
        "only grants made by hand",
        default=False,
        help_text="Leave out grants from birthright templates and approved requests.",
    )
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="+",
        help_text="Also review memberships of these groups (the access filters above do not "
        "apply to memberships; department and person do).",
    )
    accounts = models.BooleanField(
        "downstream accounts",
        default=False,
        help_text="Also review each account the portal provisioned in a connected application "
        "(of the applications above; blank: every connected one). The role, risk and manual "
        "filters do not apply to accounts; department and person do.",
    )
    department = models.CharField(
        max_length=255, blank=True, help_text="Only people in this department. Blank: anyone."
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Only this person's access (a review of one person's whole access).",
    )
    # --- reviewers ---
    reviewer_kind = models.CharField(
        "reviewer",
        max_length=8,
        choices=ReviewerKind.choices,
        default=ReviewerKind.MANAGER,
        help_text="Who reviews each item. An item with no such reviewer, or whose reviewer "
        "holds the access, or holds a role in conflict with it (separation of duties), goes to "
        "the fallback reviewer.",
    )
    named_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Reviews every item (only when the reviewer is a named reviewer).",
    )
    fallback_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Reviews what the chosen reviewer may not, and what is escalated.",
    )
    # --- timing ---
    duration = models.DurationField(
        "time to review",
        default=timedelta(days=14),
        help_text="From the start to the deadline, in days.",
    )
    reminder_interval = models.DurationField(
        default=timedelta(days=3),
        help_text="Reviewers with undecided items are reminded this often (days).",
    )
    on_undecided = models.CharField(
        "items left undecided at the deadline",
        max_length=8,
        choices=Undecided.choices,
        default=Undecided.ESCALATE,
        help_text="Escalated items go to the fallback reviewer for one more reminder "
        "interval; any still undecided then are kept and reported as overdue.",
    )
    recurrence = models.CharField(
        max_length=10,
        choices=Recurrence.choices,
        blank=True,
        default=Recurrence.NONE,
        help_text="A recurring campaign is started again by the scheduler this long after "
        "its last start.",
    )
    active = models.BooleanField(default=True, help_text="An inactive campaign does not recur.")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "access review campaign"
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="campaign_name_ci_unique",
                violation_error_message="A campaign with this name already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(reviewer_kind="named") | Q(named_reviewer__isnull=False),
                name="campaign_named_reviewer_set",
                violation_error_message="Name the reviewer, or choose another kind of reviewer.",
            ),
            models.CheckConstraint(
                condition=Q(duration__gt=timedelta(0), reminder_interval__gt=timedelta(0)),
                name="campaign_durations_positive",
                violation_error_message="The time to review and the reminder interval must "
                "be longer than zero.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignRun(models.Model):
    """One start of a campaign: its items are frozen when it starts and decided by its
    deadline; it closes once the deadline rule has been applied."""

    class Status(models.TextChoices):
        OPEN = "open"
        ESCALATED = "escalated", "escalated (waiting for the fallback reviewer)"
        CLOSED = "closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="runs")
    started_by = models.CharField(max_length=255, help_text="A staff username or the scheduler.")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "access review"
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.campaign} ({self.started_at:%d %b %Y})"


class ReviewAssignment(models.Model):
    """One reviewer's share of a run: their items, their e-mailed link (its nonce kept
    only as a SHA-256, like an approval link's) and when they were told and reminded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(CampaignRun, on_delete=models.CASCADE, related_name="assignments")
    reviewer_email = models.EmailField()
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "reviewer_email"]
        constraints = [
            models.UniqueConstraint(
                "run", Lower("reviewer_email"), name="reviewassignment_one_per_reviewer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_email} in {self.run_id}"


class ReviewItem(models.Model):
    """One grant or membership as it was when the run started, and what became of it."""

    class Kind(models.TextChoices):
        GRANT = "grant", "access grant"
        MEMBERSHIP = "membership", "group membership"
        ACCOUNT = "account", "downstream account"

    class Decision(models.TextChoices):
        PENDING = "pending", "not decided"
        KEEP = "keep"
        REVOKE = "revoke"
        SHORTEN = "shorten", "shorten to a date"

    class Routing(models.TextChoices):
        CHOSEN = "chosen", "the campaign's reviewer"
        NO_REVIEWER = "no-reviewer", "fallback: no such reviewer"
        SELF = "self", "fallback: the reviewer holds this access"
        CONFLICT = "conflict", "fallback: the reviewer holds a conflicting role"
        ESCALATED = "escalated", "escalated at the deadline"

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(CampaignRun, on_delete=models.CASCADE, related_name="items")
    assignment = models.ForeignKey(
        ReviewAssignment, null=True, on_delete=models.SET_NULL, related_name="items"
    )
    reviewer_email = models.EmailField(blank=True)
    routing = models.CharField(max_length=16, choices=Routing.choices, default=Routing.CHOSEN)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="review_items")
    grant = models.ForeignKey(
        AccessGrant, null=True, on_delete=models.CASCADE, related_name="review_items"
    )
    role = models.ForeignKey(Role, null=True, on_delete=models.PROTECT, related_name="+")
    entitlement = models.ForeignKey(
        Entitlement, null=True, on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(Group, null=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(
        "provisioning.DownstreamAccount",
        null=True,
        on_delete=models.SET_NULL,
        related_name="review_items",
    )
    # The application an account or a single entitlement is in (its owner may review it).
    application = models.ForeignKey(
        Application, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Frozen at the start: who granted it, when, why, until when and how risky.
    source = models.CharField(max_length=16, blank=True)
    granted_by = models.CharField(max_length=255, blank=True)
    granted_at = models.DateTimeField(null=True)
    grant_reason = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True)
    risk_level = models.CharField(max_length=8, blank=True)
    # Accounts only, where the downstream reports sign-ins to reconciliation; else empty.
    last_used_at = models.DateTimeField(null=True)
    # The decision, once only.
    decision = models.CharField(
        max_length=8, choices=Decision.choices, default=Decision.PENDING, db_index=True
    )
    shorten_to = models.DateField(null=True)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True)
    decided_by = models.CharField(max_length=255, blank=True)
    by_rule = models.BooleanField(
        default=False, help_text="Decided by the campaign's rule at the deadline."
    )
    remediated_at = models.DateTimeField(null=True)
    remediation_event = models.BigIntegerField(
        null=True, help_text="The sequence number of the audit event that carried it out."
    )

    class Meta:
        ordering = ["run", "id"]
        indexes = [
            models.Index(fields=["assignment", "decision"], name="reviewitem_assignment_idx"),
            models.Index(fields=["grant", "-decided_at"], name="reviewitem_grant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.held} for {self.person_id}"

    @property
    def held(self) -> str:
        """What the item is about, as a reviewer reads it."""
        if self.kind == self.Kind.MEMBERSHIP:
            return f"member of {self.group}" if self.group_id else "a removed group"
        if self.kind == self.Kind.ACCOUNT:
            return f"account in {self.application}"
        return str(self.role or self.entitlement)

    @property
    def high_risk(self) -> bool:
        return self.risk_level == Role.Risk.HIGH
