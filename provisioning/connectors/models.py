"""Connectors to downstream applications and what the portal last told each of them."""

import uuid

from django.db import models
from django.db.models import Q

from compliance.ropa import Safeguard


class Connector(models.Model):
    """An application's outbound SCIM endpoint and what may be sent to it."""

    class Auth(models.TextChoices):
        BEARER = "bearer", "bearer token"
        OAUTH = "oauth", "OAuth 2.0 client credentials"

    class Scope(models.TextChoices):
        MAPPED = "mapped", "people in a mapped group or holding a mapped entitlement"
        EVERYONE = "everyone", "every active person"

    class Deprovision(models.TextChoices):
        DEACTIVATE = "deactivate", "switch the account off (kept, disabled)"
        DELETE = "delete", "delete the account"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.OneToOneField(
        "provisioning.Application", on_delete=models.CASCADE, related_name="connector"
    )
    base_url = models.URLField(
        "SCIM base URL", help_text="For example https://app.example.com/scim/v2"
    )
    auth = models.CharField(max_length=16, choices=Auth.choices, default=Auth.BEARER)
    token_url = models.URLField(
        "OAuth token URL", blank=True, help_text="Only for OAuth client credentials."
    )
    client_id = models.CharField(
        "OAuth client id", max_length=255, blank=True, help_text="Only for OAuth."
    )
    # The bearer token or the OAuth client secret, sealed with AES-GCM (credentials.py).
    secret_sealed = models.TextField(editable=False, default="")
    attributes = models.JSONField(
        default=list,
        blank=True,
        help_text="The SCIM attributes sent to the application.",
    )
    scope = models.CharField(
        max_length=16,
        choices=Scope.choices,
        default=Scope.MAPPED,
        help_text="Who gets an account. Someone who falls out of scope is deprovisioned.",
    )
    deprovision = models.CharField(
        max_length=16, choices=Deprovision.choices, default=Deprovision.DEACTIVATE
    )
    sold_or_shared = models.BooleanField(
        "sells or shares the data",
        default=False,
        help_text="CCPA §1798.140(ad), (ah): the application's operator buys the data or uses "
        "it for cross-context behavioural advertising (not a service provider under "
        "contract). People who opted out of sale or sharing are not pushed to it.",
    )
    sensitive_needed = models.BooleanField(
        "needs sensitive information",
        default=False,
        help_text="CCPA §1798.121 and regulations §7027(m): the application needs the "
        "sensitive personal information it is sent to provide the service. Otherwise people "
        "who limited its use are pushed without it.",
    )
    privacy_contact = models.EmailField(
        "privacy contact",
        blank=True,
        help_text="Where the application's operator takes privacy notices (a role address "
        "such as privacy@vendor.example, not a person's). It is told when someone opts out "
        "of sale or sharing, limits the use of their sensitive information, or has their "
        "processing restricted (CCPA regulations §7026(f), §7027(g); GDPR Art. 19).",
    )
    enabled = models.BooleanField(default=True)
    # The record of processing (compliance.ropa) lists each connector as a processor.
    processor = models.CharField(
        "processor (legal name)",
        max_length=200,
        blank=True,
        help_text="The legal name of the company that runs the application and receives "
        "the data, as in the data processing agreement (for example Slack Technologies, "
        "LLC). Listed as a processor in the records of processing.",
    )
    processor_country = models.CharField(
        "processing country",
        max_length=100,
        blank=True,
        help_text="Where the processor processes the data (for example Ireland, United "
        "States). Outside the EEA it is a transfer and needs a safeguard.",
    )
    transfer_safeguard = models.CharField(
        max_length=16,
        choices=Safeguard.choices,
        default=Safeguard.NOT_A_TRANSFER,
        help_text="What makes the transfer lawful (GDPR Chapter V): an adequacy decision "
        "for the country, standard contractual clauses in the processing agreement, "
        "binding corporate rules, or none needed when the data stays in the EEA.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(auth="bearer") | (~Q(token_url="") & ~Q(client_id="")),
                name="connector_oauth_needs_token_url_and_client",
                violation_error_message="OAuth needs a token URL and a client id.",
            ),
        ]

    def __str__(self) -> str:
        return f"SCIM connector of {self.application.name}"

    @property
    def leaver_account(self) -> str:
        """What becomes of a leaver's account there, in the words of the offboarding page."""
        if self.deprovision == self.Deprovision.DELETE:
            return "account deleted"
        return "account switched off, not deleted"


class GroupMapping(models.Model):
    """A downstream group that people get through a portal group or an entitlement."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="mappings")
    group = models.ForeignKey(
        "provisioning.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="downstream_mappings",
    )
    entitlement = models.ForeignKey(
        "provisioning.Entitlement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="downstream_mappings",
    )
    downstream_name = models.CharField(
        "downstream group", max_length=255, help_text="The group's displayName downstream."
    )
    downstream_id = models.CharField(max_length=255, blank=True, editable=False)

    class Meta:
        ordering = ["downstream_name"]
        verbose_name = "downstream group mapping"
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=True) ^ Q(entitlement__isnull=True),
                name="groupmapping_from_group_or_entitlement",
                violation_error_message=(
                    "Map either a portal group or an entitlement, not both or neither."
                ),
            ),
            models.UniqueConstraint(
                fields=["connector", "downstream_name"],
                name="groupmapping_unique_downstream",
                violation_error_message=(
                    "This connector already maps a group to this downstream name."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.downstream_name


class DownstreamAccount(models.Model):
    """What the portal last pushed for one person to one connector, and how that went."""

    class Status(models.TextChoices):
        HEALTHY = "healthy"
        RETRYING = "retrying"
        DEAD_LETTERED = "dead-lettered"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="accounts")
    person = models.ForeignKey(
        "provisioning.Person", on_delete=models.CASCADE, related_name="downstream_accounts"
    )
    downstream_id = models.CharField(max_length=255, blank=True)
    pushed_version = models.PositiveIntegerField(default=0)
    # Keyed digests of the attribute values last pushed: enough to send only what changed,
    # without keeping a second copy of the person's data.
    pushed_digests = models.JSONField(default=dict, blank=True)
    pushed_groups = models.JSONField(
        default=list, blank=True, help_text="Ids of the group mappings the account is in."
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.HEALTHY, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_pushed = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the person last signed in there, as the downstream reports it to "
        "reconciliation. Empty: the downstream does not say.",
    )
    revoked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="An access review revoked this account: the person is kept out of the "
        "application whatever groups and entitlements they hold.",
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-modified"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "person"], name="downstreamaccount_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.connector_id}"


class DownstreamOrphan(models.Model):
    """A downstream account that matches no person: reported for IT, never deleted."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="orphans")
    downstream_id = models.CharField(max_length=255)
    user_name = models.CharField("downstream userName", max_length=255, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = "downstream orphan account"
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "downstream_id"], name="downstreamorphan_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.user_name or self.downstream_id
