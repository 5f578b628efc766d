"""The record of processing activities (GDPR Art. 30(1)), derived from the inventory.

One activity per purpose: the inventory says, field by field, why the portal holds a piece
of personal data; the record groups those declarations the way a supervisory authority
reads them (purposes, categories of data subjects and of data, recipients, transfers,
time limits, security measures).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from compliance import inventory

WORKFORCE = "Workforce members (employees, contractors, interns)"
STAFF = "Portal staff (HR, IT, approvers, privacy officers, auditors)"

# Whose data each model holds; a model not named here holds workforce members' data.
DATA_SUBJECTS: dict[str, tuple[str, ...]] = {
    "portal.StaffUser": (STAFF,),
    "provisioning.SentEmail": (WORKFORCE, STAFF),
    "compliance.AuditEvent": (WORKFORCE, STAFF),
    "compliance.Incident": (WORKFORCE, STAFF),
}

SECURITY_MEASURES: tuple[str, ...] = (
    "Every staff sign-in needs a password and a second factor (TOTP or single-use backup "
    "codes); repeated failed sign-ins lock the account from that address.",
    "Staff roles grant least privilege, declared in version control.",
    "Every change to personal data is recorded in an append-only audit trail, written in "
    "the same transaction as the change; the database refuses to alter or remove events.",
    "The audit trail is hash-chained and verified daily; a broken chain raises an incident.",
    "Personal details in the audit trail are encrypted (AES-GCM) under a key of each data "
    "subject's own; the keys are wrapped with a master key and kept in a separate key store, "
    "so erasure destroys the subject's key.",
    "Secrets (SCIM tokens, approval links) are stored hashed; HTTPS, HSTS and secure "
    "cookies are enforced in production.",
    "Personal-data breaches are detected by rules over the audit trail and tracked as "
    "incidents with the 72-hour notification deadline.",
)


@dataclass(frozen=True)
class Activity:
    purpose: str
    lawful_bases: list[str]
    data_subjects: list[str]
    data_categories: list[str]
    personal_data: list[str]
    recipients: list[str]
    retention: list[str]
    sources: list[str]


@dataclass(frozen=True)
class Controller:
    name: str
    contact: str
    dpo_contact: str


@dataclass(frozen=True)
class DeprovisioningPolicy:
    """What happens to a person when one source of identities (a SCIM client) deletes or
    deactivates them: kept as a leaver until retention, or erased at once."""

    source: str
    on_delete: str
    on_deactivation: str
    chosen_by: str  # "the source's own policy" or "the portal's default"


@dataclass(frozen=True)
class Record:
    controller: Controller
    generated_at: datetime
    activities: list[Activity]
    transfers: list[str]
    security_measures: list[str]
    deprovisioning: list[DeprovisioningPolicy] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        document = asdict(self)
        document["generated_at"] = self.generated_at.isoformat(timespec="seconds")
        return document


# The domain says which sources of identities exist and what their policies are
# (ProvisioningConfig.ready()); compliance imports no domain model.
_deprovisioning_policies: Callable[[], list[DeprovisioningPolicy]] = list


def register_deprovisioning_policies(source: Callable[[], list[DeprovisioningPolicy]]) -> None:
    global _deprovisioning_policies  # one identity domain per process, set at start-up
    _deprovisioning_policies = source


def _ordered(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def activities() -> list[Activity]:
    by_purpose: dict[str, list[inventory.PersonalField]] = defaultdict(list)
    for entry in inventory.INVENTORY:
        by_purpose[entry.purpose].append(entry)
    return [
        Activity(
            purpose=purpose,
            lawful_bases=_ordered([str(e.lawful_basis.label) for e in entries]),
            data_subjects=_ordered(
                [s for e in entries for s in DATA_SUBJECTS.get(e.model, (WORKFORCE,))]
            ),
            data_categories=_ordered([str(e.category.label) for e in entries]),
            personal_data=[e.key for e in entries],
            recipients=_ordered([r for e in entries for r in e.recipients]),
            retention=_ordered([str(e.retention) for e in entries]),
            sources=_ordered([e.source for e in entries]),
        )
        for purpose, entries in by_purpose.items()
    ]


def record() -> Record:
    """The record as of now, with the controller and transfers from settings."""
    return Record(
        controller=Controller(
            name=settings.ROPA_CONTROLLER_NAME,
            contact=settings.ROPA_CONTROLLER_CONTACT,
            dpo_contact=settings.ROPA_DPO_CONTACT,
        ),
        generated_at=timezone.now(),
        activities=activities(),
        transfers=list(settings.ROPA_TRANSFERS),
        security_measures=list(SECURITY_MEASURES),
        deprovisioning=_deprovisioning_policies(),
    )
