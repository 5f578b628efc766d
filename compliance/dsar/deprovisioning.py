"""Erasure on deprovisioning: an identity provider whose policy says so has a person it
deleted (or deactivated) erased at once, by the same engine as a deletion request
(receipt, erasure ledger, destroyed subject key, downstream accounts deleted), without a
request. A legal hold keeps the person as a leaver instead, and a finding tells the
privacy officers why the policy was not carried out."""

from types import SimpleNamespace

from compliance.audit.actor import Actor
from compliance.dsar import erasure
from compliance.dsar.models import Erasure
from compliance.errors import LegalHoldError
from compliance.incidents.models import Incident
from compliance.incidents.services import finding_raise


def deprovisioning_erase(*, actor: Actor, subject_id: str) -> Erasure | None:
    """Erase the subject, or resume their interrupted erasure; a completed one is left as
    it is. None, with a finding opened, if a legal hold blocks it: then the person stays a
    leaver until the hold is lifted and retention, or a request, erases them."""
    done = Erasure.objects.filter(person_id=subject_id, completed_at__isnull=False).first()
    if done is not None:
        return done
    try:
        # The engines read only the subject's primary key; each eraser locks the record.
        return erasure.person_erase(
            actor=actor, person=SimpleNamespace(pk=subject_id), reason=Erasure.Reason.DEPROVISIONING
        )
    except LegalHoldError:
        erasure_held(actor=actor, subject_id=subject_id)
        return None


def erasure_held(*, actor: Actor, subject_id: str) -> Incident:
    """Open (or return the open) finding that a legal hold kept a deprovisioned person
    whom their identity provider's policy says to erase. Names the subject by their
    pseudonymous id only."""
    incident, _ = finding_raise(
        kind=Incident.Kind.DEPROVISIONING_ERASURE_HELD,
        severity=Incident.Severity.LOW,
        summary="An identity provider deprovisioned a person under legal hold; the policy "
        "says erase, so they are kept as a leaver until the hold is lifted",
        details={"subject_id": subject_id},
        dedupe_key=subject_id,
        actor=actor,
    )
    return incident
