"""What the compliance app itself holds about a subject, registered with the export and
erasure engines: audit events, export packages, requests, the ledger and the subject key."""

from typing import Any

from compliance.audit import crypto
from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.dsar import agents, ledger
from compliance.dsar import package as packages
from compliance.dsar.collectors import Records, register_collector
from compliance.dsar.erasers import ANONYMISE, KEYS, LEDGER, LOCAL, register_eraser
from compliance.dsar.models import AuthorisedAgent, DataSubjectRequest, ExportPackage, Status
from compliance.inventory import Category
from compliance.subjects import Subject, subject_id, subject_resolver


def audit_events(person: Subject) -> Records:
    """The events about the subject, their personal details decrypted."""
    subject = subject_id(person)
    events = AuditEvent.objects.filter(subject_id=subject).order_by("sequence")
    for event in events.iterator(chunk_size=500):
        yield {
            "sequence": event.sequence,
            "occurred_at": event.occurred_at,
            "action": event.action,
            "actor": event.actor_label,
            "channel": event.channel,
            "outcome": event.outcome,
            "facts": event.data,
            "details": crypto.decrypt(subject, event.ciphertext) if event.ciphertext else {},
        }


def requests_of(person: Subject) -> Records:
    """The subject's own data-subject requests: what they asked, when, and the answer."""
    for request in DataSubjectRequest.objects.filter(person_id=person.pk).order_by("received_at"):
        yield {
            "request": str(request.pk),
            "regulation": request.regulation,
            "type": request.type,
            "identifiers_given": request.subject_identifiers,
            "received_at": request.received_at,
            "verification_method": request.verification_method,
            "verified_at": request.verified_at,
            "status": request.status,
            "outcome": request.outcome,
            "denial_basis": request.denial_basis,
            "due_on": request.due_on,
            "extension_reason": request.extension_reason,
            "contact_email": request.contact_email,
            "channel": request.channel,
            "notices": list(request.notices.values("kind", "sent_at", "recipients")),
            "closed_at": request.closed_at,
        }


def ledger_add(person: Subject, actor: Actor) -> dict[str, Any]:
    identifiers = subject_resolver().identifiers(person)
    return {"identifiers_hashed": ledger.ledger_record(identifiers, subject=subject_id(person))}


def packages_delete(person: Subject, actor: Actor) -> dict[str, Any]:
    deleted = 0
    for package in ExportPackage.objects.filter(person_id=person.pk).iterator():
        packages.package_file_delete(package)
        package.delete()
        deleted += 1
    return {"packages_deleted": deleted}


def requests_minimise(person: Subject, actor: Actor) -> dict[str, Any]:
    """Keep the subject's requests as CCPA §7101 records, their identifiers only hashed.
    A request still open keeps its contact address until it is answered (the erasure's
    own request owes its completion notice); closing it forgets the address then
    (`contact_forget`). Agents' signed permissions are deleted (their key goes with the
    subject's) and agents' names blanked."""
    requests = DataSubjectRequest.objects.filter(person_id=person.pk)
    minimised = sum(
        contact_forget(request, keep_contact=request.status != Status.CLOSED)
        for request in requests.exclude(subject_identifiers={}, contact_email="")
    )
    for agent in AuthorisedAgent.objects.filter(request__person_id=person.pk):
        agents.proof_delete(agent)
    agents_blanked = AuthorisedAgent.objects.filter(request__person_id=person.pk).update(
        name="", email="", proof_file="", proof_name=""
    )
    return {"requests_minimised": minimised, "agents_blanked": agents_blanked}


def contact_forget(request: DataSubjectRequest, *, keep_contact: bool = False) -> bool:
    """Hash the identifiers a request holds (and its contact address, unless kept) and
    blank its notices' addressees; True if it held any."""
    given = [(str(kind), str(value)) for kind, value in request.subject_identifiers.items()]
    if request.contact_email and not keep_contact:
        given.append(("email", request.contact_email))
        request.contact_email = ""
        request.notices.exclude(recipients=[]).update(recipients=[])
    if not given:
        return False
    request.identifier_hashes = sorted(set(request.identifier_hashes) | set(ledger.digests(given)))
    request.subject_identifiers = {}
    request.save(update_fields=["identifier_hashes", "subject_identifiers", "contact_email"])
    return True


def subject_key_destroy(person: Subject, actor: Actor) -> dict[str, Any]:
    return {"key_destroyed": crypto.destroy_subject_key(subject_id(person))}


def register() -> None:
    from compliance.retention import retention_rule_register

    retention_rule_register(
        "agent_proofs_deleted", agents.proofs_expired, enforces={"compliance.AuthorisedAgent"}
    )
    packages.register_subject_models("compliance.AuditEvent", "compliance.DataSubjectRequest")
    register_collector("audit-events", Category.TECHNICAL, audit_events)
    register_collector("data-subject-requests", Category.IDENTITY, requests_of)
    register_eraser("erasure-ledger", "key store: erasure ledger", ledger_add, order=LEDGER)
    register_eraser("export-packages", "export packages", packages_delete, order=LOCAL)
    register_eraser(
        "request-records", "data-subject requests", requests_minimise, order=ANONYMISE + 5
    )
    register_eraser("subject-key", "key store: audit subject key", subject_key_destroy, order=KEYS)
