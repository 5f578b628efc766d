from django.db import models

from compliance.audit.models import AuditEvent, ChainHead, SubjectKey
from compliance.dsar.models import (
    DataSubjectRequest,
    Erasure,
    ErasureLedgerEntry,
    ErasureStep,
    ExportPackage,
    LegalHold,
)
from compliance.incidents.models import AlertWatermark, Incident
from compliance.outbox.models import OutboxMessage


class Inventory(models.Model):
    """Holds no rows: it carries the permission to read the personal-data inventory (which
    lives in version control: each app declares its own fields, in portal/inventory.py,
    provisioning/inventory.py and compliance/declarations.py) and its place in the admin."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "personal-data inventory"
        verbose_name_plural = "personal-data inventory"

    def __str__(self) -> str:
        return "personal-data inventory"


class RecordOfProcessing(models.Model):
    """Holds no rows: it carries the permission to read the record of processing
    activities (compliance.ropa, derived from the inventory and the connectors) and its
    place in the admin."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "record of processing activities"
        verbose_name_plural = "records of processing activities"

    def __str__(self) -> str:
        return "record of processing activities"


__all__ = [
    "AlertWatermark",
    "AuditEvent",
    "ChainHead",
    "DataSubjectRequest",
    "Erasure",
    "ErasureLedgerEntry",
    "ErasureStep",
    "ExportPackage",
    "Incident",
    "Inventory",
    "LegalHold",
    "OutboxMessage",
    "RecordOfProcessing",
    "SubjectKey",
]
