"""The record of processing activities (GDPR Art. 30(1)), derived from the inventory.

One activity per purpose: the inventory says, field by field, why the portal holds a piece
of personal data; the record groups those declarations the way a supervisory authority
reads them (purposes, categories of data subjects and of data, recipients, transfers,
time limits, security measures).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
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
    "Rules over the audit trail raise findings, which a privacy officer triages; a "
    "personal-data breach is tracked with the 72-hour notification deadline from triage.",
    "Personal details in the audit trail are sealed under a key per subject and quarter, "
    "destroyed once the quarter is past its retention.",
)


class Safeguard(models.TextChoices):
    """GDPR Chapter V: what makes a transfer of personal data to a processor lawful."""

    NOT_A_TRANSFER = "none-needed", "none needed: processed in the EEA"
    ADEQUACY = "adequacy", "adequacy decision (Art. 45)"
    SCCS = "sccs", "standard contractual clauses (Art. 46(2)(c))"
    BCRS = "bcrs", "binding corporate rules (Art. 47)"
    DEROGATION = "derogation", "derogation for a specific situation (Art. 49)"


@dataclass(frozen=True)
class Processor:
    """A processor the portal sends personal data to (GDPR Art. 28, 30(1)(d)-(e))."""

    name: str
    service: str
    country: str
    safeguard: str

    @property
    def is_transfer(self) -> bool:
        return self.safeguard != Safeguard.NOT_A_TRANSFER.label

    def __str__(self) -> str:
        return f"{self.name} ({self.service}), {self.country}: {self.safeguard}"


ProcessorSource = Callable[[], list[Processor]]
_PROCESSOR_SOURCES: list[ProcessorSource] = []


def processors_register(source: ProcessorSource) -> None:
    """Add where the record reads processors from (the identity domain registers its
    connectors in ready()); compliance knows no connector itself. A source added twice
    (a reloaded app) counts once."""
    if source not in _PROCESSOR_SOURCES:
        _PROCESSOR_SOURCES.append(source)


def processors() -> list[Processor]:
    return [processor for source in _PROCESSOR_SOURCES for processor in source()]


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
    processors: list[Processor] = field(default_factory=list)

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
    """The record as of now: the controller from settings; processors from the registered
    sources; transfers are the processors outside the EEA, with their safeguard, and any
    the settings add (ROPA_TRANSFERS)."""
    found = processors()
    return Record(
        controller=Controller(
            name=settings.ROPA_CONTROLLER_NAME,
            contact=settings.ROPA_CONTROLLER_CONTACT,
            dpo_contact=settings.ROPA_DPO_CONTACT,
        ),
        generated_at=timezone.now(),
        activities=activities(),
        transfers=[str(p) for p in found if p.is_transfer] + list(settings.ROPA_TRANSFERS),
        security_measures=list(SECURITY_MEASURES),
        deprovisioning=_deprovisioning_policies(),
        processors=found,
    )


# --- Placeholders that production refuses (compliance.checks) -----------------------------

PLACEHOLDER_CONTROLLER = "The organisation operating this portal"
PLACEHOLDER_DOMAINS = ("localhost", "example.com", "example.org", "example.net")


def placeholder_settings() -> list[str]:
    """The controller and DPO settings still holding a placeholder: empty, the default
    name, or an address at localhost or an example domain."""
    values = {
        "ROPA_CONTROLLER_NAME": settings.ROPA_CONTROLLER_NAME,
        "ROPA_CONTROLLER_CONTACT": settings.ROPA_CONTROLLER_CONTACT,
        "ROPA_DPO_CONTACT": settings.ROPA_DPO_CONTACT,
    }
    return [name for name, value in values.items() if _is_placeholder(value)]


def _is_placeholder(value: str) -> bool:
    text = value.strip()
    domain = text.rpartition("@")[2].lower() if "@" in text else ""
    return not text or text == PLACEHOLDER_CONTROLLER or domain in PLACEHOLDER_DOMAINS


# --- The downloads -------------------------------------------------------------------------

NO_TRANSFERS = "None"
CSV_COLUMNS = (
    "controller",
    "controller contact",
    "DPO contact",
    "purpose",
    "lawful basis",
    "categories of data subjects",
    "categories of personal data",
    "personal data",
    "recipients",
    "processors",
    "transfers to third countries",
    "time limits for erasure",
    "sources",
)


def _joined(values: list[str]) -> str:
    return "; ".join(values)


def as_csv(document: Record) -> str:
    """One row per activity, the controller, processors and transfers repeated on each."""
    controller = document.controller
    transfers = _joined(document.transfers) or NO_TRANSFERS
    processors = _joined([str(processor) for processor in document.processors]) or "None"
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for activity in document.activities:
        writer.writerow(
            (
                controller.name,
                controller.contact,
                controller.dpo_contact,
                activity.purpose,
                _joined(activity.lawful_bases),
                _joined(activity.data_subjects),
                _joined(activity.data_categories),
                _joined(activity.personal_data),
                _joined(activity.recipients),
                processors,
                transfers,
                _joined(activity.retention),
                _joined(activity.sources),
            )
        )
    return stream.getvalue()


@dataclass(frozen=True)
class Format:
    label: str
    content_type: str
    render: Callable[[Record], str]


def _as_json(document: Record) -> str:
    return json.dumps(document.as_json(), indent=2, ensure_ascii=False)


def _as_html(document: Record) -> str:
    return render_to_string("compliance/ropa.html", {"record": document})


FORMATS: dict[str, Format] = {
    "csv": Format("CSV (a spreadsheet)", "text/csv; charset=utf-8", as_csv),
    "json": Format("JSON", "application/json", _as_json),
    "html": Format("HTML (print to PDF)", "text/html; charset=utf-8", _as_html),
}
