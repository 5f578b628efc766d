"""Retention: remove or anonymise what has outlived the period the inventory declares,
and record what was done. Run by Celery beat (compliance.retention_apply)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance import inventory
from compliance.audit.actor import Actor
from compliance.audit.services import Entry, events_record
from compliance.audit.vocabulary import Action
from compliance.dsar import erasure
from compliance.dsar import package as packages
from compliance.dsar.deadlines import RECORD_KEPT
from compliance.dsar.models import DataSubjectRequest, Erasure, ExportPackage, LegalHold, Status
from compliance.errors import LegalHoldError
from provisioning.models import Person, SentEmail

CHUNK = 500


def retention_days(model: str) -> int:
    """The longest retention the inventory declares for a model's personal fields."""
    return max(entry.retention.days for entry in inventory.personal_fields(model))


def retention_apply(*, actor: Actor) -> dict[str, int]:
    """Anonymise leavers N days after they left (not those under a legal hold), delete sent
    e-mails and export packages past their retention and request records 24 months after
    they closed. One RETENTION_APPLIED event per store that changed."""
    now = timezone.now()
    done = {
        "people_anonymised": _leavers(actor, now),
        "emails_deleted": _sent_emails(now),
        "packages_deleted": _packages(now),
        "requests_deleted": _requests(now),
    }
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


def _leavers(actor: Actor, now: datetime) -> int:
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


def _sent_emails(now: datetime) -> int:
    cutoff = now - timedelta(days=retention_days("provisioning.SentEmail"))
    deleted = SentEmail.objects.filter(sent_at__lt=cutoff).delete()[1]
    return deleted.get(SentEmail._meta.label, 0)


def _packages(now: datetime) -> int:
    expired = ExportPackage.objects.filter(expires_at__lt=now)
    for package in expired.only("pk", "file").iterator(chunk_size=CHUNK):
        packages.package_file_delete(package)
    return expired.delete()[1].get(ExportPackage._meta.label, 0)


def _requests(now: datetime) -> int:
    old = DataSubjectRequest.objects.filter(status=Status.CLOSED, closed_at__lt=now - RECORD_KEPT)
    with transaction.atomic():
        for done in Erasure.objects.filter(request__in=old).exclude(receipt="").iterator():
            erasure.receipt_path(done).unlink(missing_ok=True)
        for package in ExportPackage.objects.filter(request__in=old).iterator():
            packages.package_file_delete(package)
        return old.delete()[1].get(DataSubjectRequest._meta.label, 0)
