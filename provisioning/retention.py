"""Retention of the identity domain's data, registered with compliance's retention job
(compliance.retention) in ProvisioningConfig.ready(): leavers are anonymised, and sent
e-mails deleted, once past the period the inventory and the settings declare."""

from datetime import datetime, timedelta

from django.conf import settings

from compliance.audit.actor import Actor
from compliance.dsar import erasure
from compliance.dsar.models import Erasure, LegalHold
from compliance.errors import LegalHoldError
from compliance.retention import CHUNK, retention_days, retention_rule_register
from provisioning.models import Person, SentEmail


def leavers_anonymise(*, actor: Actor, now: datetime) -> int:
    """Erase people RETENTION_DEACTIVATED_DAYS after they left, except those under a legal
    hold and those already erased."""
    cutoff = now - timedelta(days=settings.RETENTION_DEACTIVATED_DAYS)
    due = (
        Person.objects.filter(active=False, deactivated_at__lt=cutoff)
        .exclude(pk__in=LegalHold.objects.filter(lifted_at__isnull=True).values("person_id"))
        .exclude(pk__in=Erasure.objects.filter(completed_at__isnull=False).values("person_id"))
        .order_by("pk")
    )
    anonymised = 0
    for person in due.iterator(chunk_size=CHUNK):
        try:
            erasure.person_erase(actor=actor, person=person, reason=Erasure.Reason.RETENTION)
        except LegalHoldError:
            continue  # placed since the query ran
        anonymised += 1
    return anonymised


def sent_emails_delete(*, actor: Actor, now: datetime) -> int:
    """Delete the stored copies of e-mails older than the inventory's retention for them."""
    cutoff = now - timedelta(days=retention_days("provisioning.SentEmail"))
    deleted = SentEmail.objects.filter(sent_at__lt=cutoff).delete()[1]
    return deleted.get(SentEmail._meta.label, 0)


def register() -> None:
    retention_rule_register("people_anonymised", leavers_anonymise)
    retention_rule_register("emails_deleted", sent_emails_delete)
