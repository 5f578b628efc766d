"""Retention: remove or anonymise what has outlived the period the inventory declares,
and record what was done. Run by Celery beat (compliance.retention_apply).

Compliance applies retention to what it holds itself (export packages, request records);
the identity domain registers the rules for its own data (leavers, sent e-mails) here in
its `AppConfig.ready()`, and this job runs them.
"""

from datetime import datetime
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from compliance import inventory
from compliance.audit.actor import Actor
from compliance.audit.services import Entry, events_record
from compliance.audit.vocabulary import Action
from compliance.dsar import erasure
from compliance.dsar import package as packages
from compliance.dsar.deadlines import RECORD_KEPT
from compliance.dsar.models import DataSubjectRequest, Erasure, ExportPackage, Status

CHUNK = 500


class RetentionRule(Protocol):
    def __call__(self, *, actor: Actor, now: datetime) -> int:
        """Remove or anonymise what is past its retention at `now`; return how many."""
        ...


_RULES: dict[str, RetentionRule] = {}


def retention_rule_register(store: str, rule: RetentionRule) -> None:
    """Add the rule for one store, named for what it does ("emails_deleted"); registering
    a name again replaces its rule, so a reloaded app adds it once."""
    _RULES[store] = rule


def retention_days(model: str) -> int:
    """The longest retention the inventory declares for a model's personal fields."""
    return max(entry.retention.days for entry in inventory.personal_fields(model))


def retention_apply(*, actor: Actor) -> dict[str, int]:
    """Run the registered rules, in the order they were registered (the identity domain's:
    leavers anonymised N days after they left unless under a legal hold, sent e-mails
    deleted after their retention), then delete export packages past their retention and
    request records 24 months after they closed. One RETENTION_APPLIED event per store
    that changed."""
    now = timezone.now()
    done = {store: rule(actor=actor, now=now) for store, rule in _RULES.items()}
    done["packages_deleted"] = _packages(now)
    done["requests_deleted"] = _requests(now)
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
