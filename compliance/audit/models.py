"""The audit trail: append-only, hash-chained events; and the per-subject keys."""

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q

from compliance.audit.vocabulary import Action, ActorKind, Channel, Outcome

# On PostgreSQL a trigger of this name refuses UPDATE, DELETE and TRUNCATE on the events
# (migration 0004); the model's own refusals below cover the ORM on every database.
APPEND_ONLY_TRIGGER = "auditevent_append_only"
# On PostgreSQL this deferred constraint trigger numbers and links a transaction's events
# as it commits (migration 0031).
SEAL_TRIGGER = "auditevent_seal"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One thing that happened. Written by services in the same transaction as the change.

    Personal data lives only in `ciphertext`, encrypted under the subject's own key; the
    hash covers the ciphertext, so destroying the key later leaves the chain verifiable.
    """

    # In the order an export shows them: what happened, who did it and how, to what, the
    # details, the chain.
    # Empty until the writer's transaction commits: on PostgreSQL the database numbers and
    # links the event then (migration 0031), so writers do not queue on the chain head.
    sequence = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True, help_text="When it was recorded.")
    action = models.CharField(max_length=48, choices=Action.choices, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, db_index=True)
    actor_label = models.CharField(max_length=150)
    channel = models.CharField(max_length=16, choices=Channel.choices, db_index=True)
    target_type = models.CharField(max_length=48)
    target_id = models.CharField(max_length=64, db_index=True)
    subject_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Pseudonymous id of the data subject."
    )
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, help_text="Facts about the event with no personal data.")
    ciphertext = models.TextField(blank=True, help_text="Personal details, AES-GCM, base64.")
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True, null=True)
    # How the event is chained (compliance.audit.chain): 1 hashed the whole event with its
    # previous hash; 2 links the previous hash, the sequence and `digest`, the hash of the
    # rest, so the link can be made at commit without the event's content.
    scheme = models.PositiveSmallIntegerField(default=2)
    digest = models.CharField(max_length=64, blank=True)

    objects: ClassVar[models.Manager["AuditEvent"]] = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["subject_id", "sequence"], name="auditevent_subject_idx"),
            # Auditors filter by the actor's name (a staff username, a task).
            models.Index(fields=["actor_label"], name="auditevent_actor_label_idx"),
            # The events of a transaction still to seal at its commit: only its own.
            models.Index(
                fields=["id"], name="auditevent_unsealed_idx", condition=Q(sequence__isnull=True)
            ),
        ]
        permissions = [("export_auditevent", "Can export audit events")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


# How events are chained, not what happened: compliance.audit.chain reads them itself.
CHAIN_BOOKKEEPING = ("scheme", "digest")

# The event's own fields in the model's order, without the table's key. The chain, the
# exports, the SIEM forwarding and the inventory each derive their field list from this.
EVENT_FIELDS: tuple[str, ...] = tuple(
    field.name
    for field in AuditEvent._meta.concrete_fields
    if not field.primary_key and field.name not in CHAIN_BOOKKEEPING
)


class ChainHead(models.Model):
    """The chain's last link. On PostgreSQL the commit-time seal locks it for the instant
    of a commit; on SQLite (one writer at a time) the writer locks it to append."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head at #{self.sequence}"


class SubjectKey(models.Model):
    """A data subject's own key, wrapped with a key-encryption key of the keyring (a file
    outside both databases). Lives in the separate key store (database alias "keys"), so a
    backup of the main database does not carry it; erasing the subject deletes this row
    and their audit details and export packages become unreadable. A backup of the key
    store stops unwrapping once the KEK it names is destroyed."""

    # The subject's id, then "@" and the quarter for a quarterly key (compliance.audit.crypto).
    subject_id = models.CharField(max_length=80, unique=True)
    wrapped_key = models.BinaryField()
    kek = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="Id of the key-encryption key that wraps it; blank: the master key.",
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"key for {self.subject_id}"
