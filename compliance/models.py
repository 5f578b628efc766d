from compliance.audit.models import AuditEvent, ChainHead, SubjectKey
from compliance.dsar.models import (
    DataSubjectRequest,
    Erasure,
    ErasureLedgerEntry,
    ErasureStep,
    ExportPackage,
    LegalHold,
)

__all__ = [
    "AuditEvent",
    "ChainHead",
    "DataSubjectRequest",
    "Erasure",
    "ErasureLedgerEntry",
    "ErasureStep",
    "ExportPackage",
    "LegalHold",
    "SubjectKey",
]
