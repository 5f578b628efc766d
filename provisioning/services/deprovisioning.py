"""A SCIM client's deprovisioning policy (ScimClient.deprovisioning, or the portal's
SCIM_DEPROVISIONING): when an identity provider deletes a person, or deactivates one,
either the leaver is kept until retention erases them, or they are erased at once by the
erasure engine (compliance.dsar.deprovisioning). The person services call this after the
leaver path, inside their own transaction."""

from enum import StrEnum

from celery import current_app

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.dsar.deprovisioning import erasure_held
from compliance.dsar.services import active_hold
from compliance.outbox.queue import outbox_send
from provisioning.models import Deprovisioning, Person, ScimClient

# compliance.dsar.tasks.dsar_deprovisioning_erase, by its registered name, as the outbox
# relay finds it: services import no entry point.
ERASE_TASK = "compliance.dsar_deprovisioning_erase"


class Trigger(StrEnum):
    DELETE = "delete"
    DEACTIVATION = "deactivation"


class Outcome(StrEnum):
    KEPT = "kept as a leaver until retention"
    ERASING = "erasure queued"
    HELD = "kept as a leaver: legal hold"


def person_deprovision(
    *, person: Person, actor: Actor, client: ScimClient | None, trigger: Trigger
) -> Outcome:
    """Apply the policy to a person the client has just deleted or deactivated (the
    leaver path has run), in the caller's transaction. An erasure is queued through the
    outbox, so it runs once the deletion commits, and resumes if a worker dies. A legal
    hold blocks it: the person stays a leaver and a finding says why. The event names
    the policy, what triggered it and what it did."""
    policy = client.deprovisioning_policy if client else Deprovisioning.default()
    erases = policy.erases_on_delete if trigger == Trigger.DELETE else policy.erases_on_deactivation
    outcome = Outcome.KEPT
    if erases and active_hold(person.pk) is not None:
        erasure_held(actor=actor, subject_id=str(person.pk))
        outcome = Outcome.HELD
    elif erases:
        outbox_send(current_app.tasks[ERASE_TASK], str(person.pk), topic="dsar")
        outcome = Outcome.ERASING
    event_record(
        actor=actor,
        action=Action.PERSON_DEPROVISIONED,
        target=person,
        subject_id=str(person.pk),
        data={
            "policy": policy.value,
            "client_policy": client.deprovisioning if client else "",
            "trigger": trigger.value,
            "outcome": outcome.value,
        },
    )
    return outcome
