"""SCIM clients (the identity providers allowed to push) and their bearer tokens."""

import uuid

from django.conf import settings
from django.db import models

from compliance.scim_agreements import profile_choices


class Deprovisioning(models.TextChoices):
    """What a client's DELETE of a person (and, if chosen, its deactivation) does."""

    KEEP = "keep", "keep the person as a leaver until retention ends"
    ERASE_ON_DELETE = "erase-on-delete", "erase the person at once when deleted"
    ERASE_ON_DEACTIVATION = (
        "erase-on-deactivation",
        "erase the person at once when deleted or deactivated",
    )

    @property
    def erases_on_delete(self) -> bool:
        return self != Deprovisioning.KEEP

    @property
    def erases_on_deactivation(self) -> bool:
        return self == Deprovisioning.ERASE_ON_DEACTIVATION

    @classmethod
    def default(cls) -> "Deprovisioning":
        """The portal's default, for a client that chose none (SCIM_DEPROVISIONING)."""
        return cls(settings.SCIM_DEPROVISIONING)


class ScimClient(models.Model):
    """An identity provider allowed to push people and groups over SCIM."""

    class Mode(models.TextChoices):
        STRICT = "strict", "strict: refuse personal data outside the agreement"
        DROP = "drop", "drop: ignore personal data outside the agreement, and record it"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    profile = models.CharField(
        "agreed attribute profile",
        max_length=32,
        choices=profile_choices,
        help_text="Which personal attributes this identity provider may send and read, as "
        "agreed with the privacy officer. The mode says what happens to anything else.",
    )
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.STRICT)
    deprovisioning = models.CharField(
        "deprovisioning policy",
        max_length=24,
        choices=[("", "the portal's default (SCIM_DEPROVISIONING)"), *Deprovisioning.choices],
        blank=True,
        default="",
        help_text="What happens when this identity provider deletes a person (Entra ID, "
        "and Okta's delete) or, with the last choice, deactivates one (Okta's and Entra ID's "
        "active=false). Keep: the person leaves (access revoked, downstream accounts "
        "deprovisioned) and the record is kept until retention erases it. Erase: the person "
        "leaves and is erased at once, as a deletion request would (receipt, erasure "
        "ledger, destroyed audit key, downstream accounts deleted); a legal hold keeps "
        "them as a leaver and opens a finding. Blank follows the portal's default.",
    )
    enabled = models.BooleanField(default=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this moment the client's tokens stop working."
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SCIM client"

    def __str__(self) -> str:
        return self.name

    @property
    def deprovisioning_policy(self) -> Deprovisioning:
        """The client's own policy, or the portal's default (SCIM_DEPROVISIONING)."""
        return (
            Deprovisioning(self.deprovisioning) if self.deprovisioning else Deprovisioning.default()
        )


class ScimToken(models.Model):
    """A bearer token of a client. Only the SHA-256 of the token is stored; several tokens
    of one client may be valid at once, so a new one can be rolled out before the old one
    is revoked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ScimClient, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.client})"
