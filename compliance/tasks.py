from dataclasses import asdict
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from compliance import retention
from compliance.audit.actor import Actor
from compliance.audit.services import keys_rotate as rotate
from compliance.dsar.package import packages_reseal
from compliance.dsar.tasks import (
    dsar_deprovisioning_erase,
    dsar_erase,
    dsar_export,
    dsar_requeue_stalled,
)
from compliance.incidents.rules import audit_chain_check, rules_evaluate
from compliance.outbox.mail import email_deliver
from compliance.outbox.relay import outbox_sweep as sweep

__all__ = [
    "dsar_deprovisioning_erase",
    "dsar_erase",
    "dsar_export",
    "dsar_requeue_stalled",
    "email_deliver",
    "evaluate_alert_rules",
    "keys_rotate",
    "outbox_sweep",
    "retention_apply",
    "verify_audit_chain",
]


@shared_task(name="compliance.verify_audit_chain")
def verify_audit_chain() -> dict[str, int | str | None]:
    """Walk the audit chain; returns how many events verified and the first broken one.
    A broken chain raises an incident (once per broken event while it stays open)."""
    result, _ = audit_chain_check(actor=Actor.system("compliance.verify_audit_chain"))
    return {
        "verified": result.verified,
        "first_broken": result.first_broken,
        "reason": result.reason,
    }


@shared_task(name="compliance.evaluate_alert_rules")
def evaluate_alert_rules() -> int:
    """Run the alert rules over the new audit events; returns how many incidents it raised."""
    return len(rules_evaluate(actor=Actor.system("compliance.evaluate_alert_rules")))


@shared_task(name="compliance.retention_apply", acks_late=True)
def retention_apply() -> dict[str, int]:
    """The beat job: apply the inventory's retention periods."""
    return retention.retention_apply(actor=Actor.system("retention"))


@shared_task(name="compliance.outbox_sweep")
def outbox_sweep() -> dict[str, int]:
    """The beat job: hand the broker what the on-commit relay could not, again what it
    lost, and prune delivered rows."""
    swept = sweep(
        redeliver_after=timedelta(minutes=settings.OUTBOX_REDELIVER_MINUTES),
        keep=timedelta(days=settings.OUTBOX_KEEP_DAYS),
    )
    return vars(swept)


@shared_task(name="compliance.keys_rotate", acks_late=True)
def keys_rotate() -> dict[str, object]:
    """The beat job: rotate the key-encryption key when due, re-wrap the subject keys
    under the current one, destroy retired KEKs past the backup retention window, and
    seal for their subjects any export package still sealed under the master key."""
    actor = Actor.system("compliance.keys_rotate")
    rotation = rotate(actor=actor)
    return {**asdict(rotation), "packages_resealed": packages_reseal(actor=actor, chunk_size=500)}
