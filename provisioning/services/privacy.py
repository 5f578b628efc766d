"""What a person asked of the processing itself, set on their record: the restriction of
processing (GDPR Art. 18), the opt-out of sale or sharing (CCPA §1798.120) and the limit on
the use of sensitive personal information (§1798.121). The DSAR steps of compliance reach
these through the controls registered in provisioning.dsar; outbound provisioning reads
the flags (provisioning.connectors.selectors.withheld, attributes.desired_values)."""

from django.db import transaction
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning import signals
from provisioning.errors import InvalidValueError
from provisioning.models import Person

# The CCPA choices a person can record, by the field that holds when they made it.
PREFERENCES = {"sale-opt-out": "sale_opt_out_at", "limit-sensitive": "limit_sensitive_at"}


def person_restrict(*, person: Person, actor: Actor, reason: str = "") -> Person:
    """Restrict the processing of the person's data: from now on nothing about them is
    pushed downstream, and only a privacy officer changes them (the person services
    refuse everyone else), until the restriction is lifted. Restricting twice is refused."""
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.restricted_at is not None:
            raise InvalidValueError("restricted_at", "the person is already restricted")
        locked.restricted_at = timezone.now()
        locked.save(update_fields=["restricted_at", "modified"])
        event_record(
            actor=actor,
            action=Action.PERSON_RESTRICTED,
            target=locked,
            subject_id=str(locked.pk),
            personal={"reason": reason} if reason else None,
        )
    return locked


def person_restriction_lift(*, person: Person, actor: Actor, reason: str) -> Person:
    """Lift a restriction (the person was told beforehand, Art. 18(3)): the person can be
    changed again, and is pushed downstream so the applications catch up on what they
    missed meanwhile."""
    if not reason.strip():
        raise InvalidValueError("reason", "say why the restriction ends")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.restricted_at is None:
            raise InvalidValueError("restricted_at", "the person is not restricted")
        since = locked.restricted_at
        locked.restricted_at = None
        locked.save(update_fields=["restricted_at", "modified"])
        event_record(
            actor=actor,
            action=Action.PERSON_RESTRICTION_LIFTED,
            target=locked,
            subject_id=str(locked.pk),
            personal={"reason": reason},
            data={"restricted_since": since.isoformat()},
        )
        signals.person_changed_on_commit(locked.pk)  # outbound pushes resume
    return locked


def person_preference_set(*, person: Person, actor: Actor, preference: str) -> Person:
    """Record a CCPA choice: an opted-out person is no longer pushed to an application that
    sells or shares; a limit keeps sensitive fields from applications that do not need
    them (the push that follows removes those already sent). Recording a choice already
    recorded keeps its first date and records nothing."""
    field = PREFERENCES.get(preference)
    if field is None:
        raise InvalidValueError("preference", f"unknown choice {preference!r}")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if getattr(locked, field) is not None:
            return locked
        setattr(locked, field, timezone.now())
        locked.save(update_fields=[field, "modified"])
        event_record(
            actor=actor,
            action=Action.PERSON_PREFERENCE_SET,
            target=locked,
            subject_id=str(locked.pk),
            data={"preference": preference},
        )
        signals.person_changed_on_commit(locked.pk)  # the push honours the choice
    return locked
