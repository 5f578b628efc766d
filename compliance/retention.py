"""Retention: remove or anonymise what has outlived the period the inventory declares,
and record what was done. Run by Celery beat (compliance.retention_apply).

Every model the inventory declares personal fields for has a rule here that enforces its
retention (tests/compliance/test_retention_coverage.py fails otherwise). Each app
registers the rules for its own data with `retention_rule_register`, naming the models it
enforces; compliance's own rules (audit details, requests, packages, holds, incidents,
the outbox) come last. Every rule works in chunks of CHUNK rows, with bounded queries.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from compliance import inventory
from compliance.audit import crypto
from compliance.audit.actor import Actor
from compliance.audit.services import Entry, events_record
from compliance.audit.vocabulary import Action
from compliance.dsar import erasure
from compliance.dsar import package as packages
from compliance.dsar.deadlines import RECORD_KEPT
from compliance.dsar.models import DataSubjectRequest, Erasure, ExportPackage, LegalHold, Status
from compliance.incidents.models import Incident
from compliance.outbox.models import OutboxMessage

CHUNK = 500


class RetentionRule(Protocol):
    def __call__(self, *, actor: Actor, now: datetime) -> int:
        """Remove or anonymise what is past its retention at `now`; return how many."""
        ...


@dataclass(frozen=True)
class Rule:
    run: RetentionRule
    # The models ("app.Model"), or single fields ("app.Model.field"), whose declared
    # retention it applies.
    enforces: frozenset[str]


_RULES: dict[str, Rule] = {}


def retention_rule_register(
    store: str, rule: RetentionRule, *, enforces: Collection[str] = ()
) -> None:
    """Add the rule for one store, named for what it does ("emails_deleted"), with the
    models whose declared retention it enforces; registering a name again replaces its
    rule, so a reloaded app adds it once."""
    _RULES[store] = Rule(rule, frozenset(enforces))


def retention_days(model: str) -> int:
    """The longest retention the inventory declares for a model's personal fields, but
    those declared as exceptions (kept as the exception says)."""
    return max(
        entry.retention.days
        for entry in inventory.personal_fields(model)
        if not entry.retention.exception
    )


def cutoff(model: str, now: datetime) -> datetime:
    """The moment before which a model's records are past their declared retention."""
    return now - timedelta(days=retention_days(model))


def rules() -> dict[str, Rule]:
    """The registered rules in the order they run, compliance's own last."""
    return {**_RULES, **OWN_RULES}


def unenforced() -> list[str]:
    """The declared personal fields whose retention no rule enforces."""
    enforced = {name for rule in rules().values() for name in rule.enforces}
    return [
        entry.key
        for entry in inventory.INVENTORY
        if entry.model not in enforced
        and entry.key not in enforced
        and not entry.retention.exception
    ]


def retention_apply(*, actor: Actor) -> dict[str, int]:
    """Run every rule, in the order they were registered, then compliance's own. One
    RETENTION_APPLIED event per store that changed."""
    now = timezone.now()
    done = {store: rule.run(actor=actor, now=now) for store, rule in rules().items()}
    entries = [
        Entry(
            Action.RETENTION_APPLIED,
            ("compliance.retention", store),
            data={"store": store, "count": count, "at": now.isoformat()},
        )
        for store, count in done.items()
        if count
    ]
    events_record(actor=actor, entries=entries)
    return done


def _packages(*, actor: Actor, now: datetime) -> int:
    expired = ExportPackage.objects.filter(expires_at__lt=now)
    for package in expired.only("pk", "file").iterator(chunk_size=CHUNK):
        packages.package_file_delete(package)
    return expired.delete()[1].get(ExportPackage._meta.label, 0)


def _requests(*, actor: Actor, now: datetime) -> int:
    old = DataSubjectRequest.objects.filter(status=Status.CLOSED, closed_at__lt=now - RECORD_KEPT)
    with transaction.atomic():
        for done in Erasure.objects.filter(request__in=old).exclude(receipt="").iterator():
            erasure.receipt_path(done).unlink(missing_ok=True)
        for package in ExportPackage.objects.filter(request__in=old).iterator():
            packages.package_file_delete(package)
        return old.delete()[1].get(DataSubjectRequest._meta.label, 0)


def _audit_details(*, actor: Actor, now: datetime) -> int:
    """Crypto-shred the audit trail's personal details past their retention: destroy the
    quarterly keys whose whole quarter is older than the cutoff. The ciphertext stays,
    unreadable, so the chain, which hashes it, still verifies."""
    before = crypto.epoch_start(cutoff(AUDIT_EVENT, now))
    shredded = 0
    while destroyed := crypto.epoch_keys_destroy(before=before, limit=CHUNK):
        shredded += destroyed
    return shredded


def _legal_holds(*, actor: Actor, now: datetime) -> int:
    old = LegalHold.objects.filter(lifted_at__lt=cutoff(LegalHold._meta.label, now))
    return delete_in_chunks(old, LegalHold)


def _incidents(*, actor: Actor, now: datetime) -> int:
    """Keep a closed breach's or finding's record (kind, times, counts) but blank the
    free text that may describe people, once past its retention."""
    label = Incident._meta.label
    text = [entry.field for entry in inventory.personal_fields(label)]
    unblanked = Q()
    for name in text:
        unblanked |= ~Q(**{name: ""})
    due = Incident.objects.filter(unblanked, closed_at__lt=cutoff(label, now))
    blanked = 0
    while chunk := list(due.order_by("pk").values_list("pk", flat=True)[:CHUNK]):
        blanked += Incident.objects.filter(pk__in=chunk).update(**dict.fromkeys(text, ""))
    return blanked


def _outbox(*, actor: Actor, now: datetime) -> int:
    """Delivered messages keep no sealed payload (the outbox wipes it on delivery; this
    catches any that a crash left behind)."""
    return (
        OutboxMessage.objects.filter(delivered_at__isnull=False)
        .exclude(sealed="")
        .update(sealed="")
    )


def delete_in_chunks(selected: QuerySet[Any], model: type[Model]) -> int:
    """Delete the rows `selected` picks, CHUNK at a time: each delete a bounded query.
    Returns how many of `model` went."""
    pks = selected.order_by("pk").values_list("pk", flat=True)
    deleted = 0
    while chunk := list(pks[:CHUNK]):
        deleted += model._default_manager.filter(pk__in=chunk).delete()[1].get(model._meta.label, 0)
    return deleted


AUDIT_EVENT = "compliance.AuditEvent"

OWN_RULES: dict[str, Rule] = {
    # The details only: an event's client address is a declared exception (kept with the
    # event; compliance.declarations says why).
    "audit_details_shredded": Rule(_audit_details, frozenset({f"{AUDIT_EVENT}.ciphertext"})),
    "packages_deleted": Rule(_packages, frozenset({ExportPackage._meta.label})),
    # A request's notices and agent go with it (their rows cascade; the agent's signed
    # permission file goes by the agents' own rule).
    "requests_deleted": Rule(
        _requests,
        frozenset(
            {DataSubjectRequest._meta.label, "compliance.Notice", "compliance.AuthorisedAgent"}
        ),
    ),
    "legal_holds_deleted": Rule(_legal_holds, frozenset({LegalHold._meta.label})),
    "incident_notes_blanked": Rule(_incidents, frozenset({Incident._meta.label})),
    "outbox_payloads_wiped": Rule(_outbox, frozenset({OutboxMessage._meta.label})),
}
