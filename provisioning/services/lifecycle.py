"""Joiners and leavers. (Movers are person_update: a change of job attributes
re-evaluates birthright templates there, so SCIM and the admin move people alike.)"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning import selectors
from provisioning.errors import InvalidValueError, TemplateMismatchError
from provisioning.models import Person, RoleTemplate, ScheduledOffboarding
from provisioning.models.access import MATCH_FIELDS
from provisioning.selectors import PlannedGrant
from provisioning.services import access, erased_identities, persons


def _onboarding_attributes(
    *, template: RoleTemplate, person: Person | None = None, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The attributes the joiner will have: an existing person's own, or the new hire's
    fields with the template's conditions filling what HR left blank. Raises
    TemplateMismatchError when the person contradicts the chosen template."""
    if person is not None:
        attributes: dict[str, Any] = selectors.person_attributes(person)
    else:
        given = {name: value for name, value in (fields or {}).items() if value not in ("", None)}
        attributes = {**template.conditions, **given}
    for name, wanted in template.conditions.items():
        if str(attributes.get(name) or "").lower() != wanted.lower():
            raise TemplateMismatchError(template, name)
    return attributes


def onboarding_preview(
    *, template: RoleTemplate, person: Person | None = None, fields: dict[str, Any] | None = None
) -> list[PlannedGrant]:
    """Exactly the grants person_onboard will make, for HR to confirm: every template the
    joiner matches, the chosen one included."""
    attributes = _onboarding_attributes(template=template, person=person, fields=fields)
    planned = selectors.birthright_plan(attributes=attributes, now=timezone.now())
    if person is None:
        return planned
    held = set(selectors.grants_active(person=person).values_list("role_id", flat=True))
    return [grant for grant in planned if grant.role.pk not in held]


def person_onboard(
    *,
    template: RoleTemplate,
    actor: Actor,
    person: Person | None = None,
    fields: dict[str, Any] | None = None,
    emails: Sequence[persons.Contact] = (),
) -> Person:
    """Onboard a joiner from a template: create the new hire (or take an existing person)
    and grant the roles of every template they match, as onboarding_preview showed."""
    if (person is None) == (fields is None):
        raise InvalidValueError("person", "give either an existing person or new hire data")
    attributes = _onboarding_attributes(template=template, person=person, fields=fields)
    reason = f"joiner (onboarded from {template.name})"
    # Before the transaction, so that a refused erased identity stays recorded.
    if fields is not None:
        erased_identities.erased_identity_check(
            actor=actor, fields=fields, emails=[contact.value for contact in emails]
        )
    with transaction.atomic():
        if person is None:
            assert fields is not None
            job = {name: attributes[name] for name in MATCH_FIELDS if name in attributes}
            return persons.person_create(
                actor=actor, fields={**fields, **job}, emails=emails, reason=reason
            )
        access.birthright_apply(person=person, actor=actor, reason=reason)
    person.refresh_from_db()
    return person


def person_offboard(
    *, person: Person, actor: Actor, reason: str, effective_on: date | None = None
) -> Person:
    """The leaver. Today (or with no date): deactivate, which revokes every grant and
    cancels pending requests at once; deactivated_at starts the retention clock. Dated in
    the future: scheduled, replacing any earlier schedule, and carried out on that date by
    offboardings_due_run."""
    if not reason.strip():
        raise InvalidValueError("reason", "a leaver needs a reason")
    today = timezone.localdate()
    with transaction.atomic():
        scheduled = ScheduledOffboarding.objects.select_for_update().filter(
            person=person, status=ScheduledOffboarding.Status.SCHEDULED
        )
        if effective_on is not None and effective_on > today:
            scheduled.update(status=ScheduledOffboarding.Status.CANCELLED)
            offboarding = ScheduledOffboarding.objects.create(
                person=person, effective_on=effective_on, reason=reason, requested_by=actor.label
            )
            event_record(
                actor=actor,
                action=Action.PERSON_OFFBOARD_SCHEDULED,
                target=offboarding,
                subject_id=str(person.pk),
                data={"effective_on": effective_on.isoformat()},
                personal={"reason": reason},
            )
            return person
        scheduled.update(status=ScheduledOffboarding.Status.DONE, done_at=timezone.now())
        return persons.person_set_active(
            person=person, actor=actor, active=False, reason=f"leaver: {reason}"
        )


def offboarding_cancel(
    *, offboarding: ScheduledOffboarding, actor: Actor, reason: str
) -> ScheduledOffboarding:
    """Call off a leaver before their date: only a still scheduled offboarding can be
    cancelled (one carried out is undone by reactivating the person)."""
    if not reason.strip():
        raise InvalidValueError("reason", "say why the offboarding is cancelled")
    with transaction.atomic():
        locked = ScheduledOffboarding.objects.select_for_update().get(pk=offboarding.pk)
        if locked.status != ScheduledOffboarding.Status.SCHEDULED:
            raise InvalidValueError(
                "status", f"this offboarding is {locked.get_status_display()}, not scheduled"
            )
        locked.status = ScheduledOffboarding.Status.CANCELLED
        locked.save(update_fields=["status"])
        event_record(
            actor=actor,
            action=Action.PERSON_OFFBOARD_CANCELLED,
            target=locked,
            subject_id=str(locked.person_id),
            data={"effective_on": locked.effective_on.isoformat()},
            personal={"reason": reason},
        )
    return locked


def offboardings_due_run(*, actor: Actor, today: date | None = None) -> int:
    """Carry out the leavers scheduled for today or earlier. Each in its own transaction,
    so one failure does not hold back the others."""
    today = today or timezone.localdate()
    done = 0
    due = ScheduledOffboarding.objects.filter(
        status=ScheduledOffboarding.Status.SCHEDULED, effective_on__lte=today
    ).select_related("person")
    for offboarding in due.iterator():
        person_offboard(person=offboarding.person, actor=actor, reason=offboarding.reason)
        done += 1
    return done
