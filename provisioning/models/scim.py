"""SCIM clients (the identity providers allowed to push) and their bearer tokens."""

import uuid

from django.db import models

from compliance.scim_agreements import profile_choices


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
