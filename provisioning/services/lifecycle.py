"""Joiners and leavers. (Movers are person_update: a change of job attributes
re-evaluates birthright templates there, so SCIM and the admin move people alike.)"""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models.functions import Now
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action
from provisioning import selectors
from provisioning.errors import (
    BatchEntryError,
    HireRowError,
    InvalidValueError,
    ProvisioningError,
    TemplateMismatchError,
)
from provisioning.models import Person, RoleTemplate, ScheduledOffboarding, ScheduledOnboarding
from provisioning.models.access import MATCH_FIELDS, ScheduledChange
from provisioning.selectors import PlannedGrant
from provisioning.services import access, erased_identities, persons

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hire:
    """One new hire as HR describes them: on the onboarding form, or a row of a batch."""

    template: RoleTemplate
    fields: dict[str, Any]
    emails: Sequence[persons.Contact] = ()
    starts_on: date | None = None
    row: int = 0  # the line of the file it came from, for messages; 0 for the form
    grants: list[PlannedGrant] = field(default_factory=list, compare=False)


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


def _starts_later(starts_on: date | None) -> bool:
    """Whether a start date makes a future joiner; today, a past date or none is now."""
    return starts_on is not None and starts_on > timezone.localdate()


def _first_moment(starts_on: date | None) -> dt.datetime:
    """When access begins: now, or a future joiner's start date (from which template
    durations are counted)."""
    if not _starts_later(starts_on):
        return timezone.now()
    assert starts_on is not None
    return timezone.make_aware(dt.datetime.combine(starts_on, dt.time.min))


def onboarding_preview(
    *,
    template: RoleTemplate,
    person: Person | None = None,
    fields: dict[str, Any] | None = None,
    starts_on: date | None = None,
) -> list[PlannedGrant]:
    """Exactly the grants person_onboard will make, for HR to confirm: every template the
    joiner matches, the chosen one included; a future joiner's from their start date."""
    attributes = _onboarding_attributes(template=template, person=person, fields=fields)
    planned = selectors.birthright_plan(attributes=attributes, now=_first_moment(starts_on))
    if person is None:
        return planned
    held = set(selectors.grants_active(person=person).values_list("role_id", flat=True))
    return [grant for grant in planned if grant.role.pk not in held]


def hires_preview(*, hires: Sequence[Hire]) -> tuple[list[Hire], list[HireRowError]]:
    """The grants each hire of a batch will get, as onboarding_preview shows one, and the
    rows whose hire contradicts their template. Hires with the same job and start share
    one plan: a cohort costs a few queries, not a few per row."""
    plans: dict[tuple[Any, ...], list[PlannedGrant]] = {}
    previewed, refused = [], []
    for hire in hires:
        try:
            attributes = _onboarding_attributes(template=hire.template, fields=hire.fields)
        except ProvisioningError as error:
            refused.append(HireRowError(hire.row, error))
            continue
        job = tuple(str(attributes.get(name) or "").lower() for name in MATCH_FIELDS)
        key = (*job, _first_moment(hire.starts_on).date())
        if key not in plans:
            plans[key] = onboarding_preview(
                template=hire.template, fields=hire.fields, starts_on=hire.starts_on
            )
        previewed.append(
            Hire(hire.template, hire.fields, hire.emails, hire.starts_on, hire.row, plans[key])
        )
    return previewed, refused


def person_onboard(
    *,
    template: RoleTemplate,
    actor: Actor,
    person: Person | None = None,
    fields: dict[str, Any] | None = None,
    emails: Sequence[persons.Contact] = (),
    starts_on: date | None = None,
) -> Person:
    """Onboard a joiner from a template: create the new hire (or take an existing person)
    and grant the roles of every template they match, as onboarding_preview showed.

    A new hire with a future start date is a future joiner: created inactive, so they hold
    no access (an inactive person holds none) and downstream applications get no usable
    account before their first day; onboardings_due_run activates them on that date,
    which grants their birthright then. An existing person's access starts now."""
    if (person is None) == (fields is None):
        raise InvalidValueError("person", "give either an existing person or new hire data")
    later = _starts_later(starts_on)
    if later and person is not None:
        raise InvalidValueError(
            "starts_on", "a start date is for a new hire; an existing person's access starts now"
        )
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
            start = {"employment_start": starts_on} if starts_on else {}
            created = persons.person_create(
                actor=actor,
                fields={**fields, **job, **start},
                emails=emails,
                active=not later,
                reason=reason,
            )
            if later:
                assert starts_on is not None
                _onboarding_schedule(
                    person=created, template=template, starts_on=starts_on, actor=actor
                )
            return created
        access.birthright_apply(person=person, actor=actor, reason=reason)
    person.refresh_from_db()
    return person


def _onboarding_schedule(
    *, person: Person, template: RoleTemplate, starts_on: date, actor: Actor
) -> ScheduledOnboarding:
    onboarding = ScheduledOnboarding.objects.create(
        person=person, template=template, starts_on=starts_on, requested_by=actor.label
    )
    events_record(actor=actor, entries=[_onboarding_scheduled(onboarding)])
    return onboarding


def _onboarding_scheduled(onboarding: ScheduledOnboarding) -> Entry:
    return Entry(
        action=Action.PERSON_ONBOARD_SCHEDULED,
        target=onboarding,
        subject_id=str(onboarding.person_id),
        data={
            "starts_on": onboarding.starts_on.isoformat(),
            "template": str(onboarding.template_id),
        },
    )


def hires_onboard(*, hires: Sequence[Hire], actor: Actor) -> list[Person]:
    """Onboard a batch of hires (a graduate cohort, an acquisition) as person_onboard
    onboards one, each with its own audit events, in a fixed number of queries however
    many hires (persons.people_create; the future joiners' starts in one insert and the
    same chain append's worth of events). All or none: one transaction, so a hire
    refused at the last moment (a username taken since the preview) leaves nothing
    written, and HR fixes that row and imports the same file again. Raises HireRowError
    naming the row."""
    people = []
    for hire in hires:
        try:
            people.append(_hire_person(hire))
        except ProvisioningError as error:
            raise HireRowError(hire.row, error) from error
    try:
        with transaction.atomic():
            created = persons.people_create(actor=actor, people=people)
            _onboardings_schedule(
                [
                    (person, hire.template, hire.starts_on)
                    for person, hire in zip(created, hires, strict=True)
                    if hire.starts_on and _starts_later(hire.starts_on)
                ],
                actor=actor,
            )
    except BatchEntryError as error:
        raise HireRowError(hires[error.index].row, error.error) from error
    except IntegrityError:
        # Someone took a username or externalId since the check: checked again, the
        # row is named; anything else (a contact's constraint) stays an IntegrityError.
        refusals = persons.people_check(actor=actor, people=people)
        for hire, refusal in zip(hires, refusals, strict=True):
            if refusal is not None:
                raise HireRowError(hire.row, refusal) from None
        raise
    return created


def _hire_person(hire: Hire) -> persons.NewPerson:
    """A hire as person_onboard creates them: the template's conditions fill the job
    attributes HR left blank, and a future joiner starts inactive."""
    attributes = _onboarding_attributes(template=hire.template, fields=hire.fields)
    job = {name: attributes[name] for name in MATCH_FIELDS if name in attributes}
    start = {"employment_start": hire.starts_on} if hire.starts_on else {}
    return persons.NewPerson(
        fields={**hire.fields, **job, **start},
        emails=hire.emails,
        active=not _starts_later(hire.starts_on),
        reason=f"joiner (onboarded from {hire.template.name})",
    )


def _onboardings_schedule(
    joiners: list[tuple[Person, RoleTemplate, date]], *, actor: Actor
) -> None:
    """_onboarding_schedule for the future joiners of a batch: one insert, one append."""
    onboardings = ScheduledOnboarding.objects.bulk_create(
        ScheduledOnboarding(
            person=person, template=template, starts_on=starts_on, requested_by=actor.label
        )
        for person, template, starts_on in joiners
    )
    events_record(
        actor=actor,
        entries=[_onboarding_scheduled(onboarding) for onboarding in onboardings],
    )


def onboarding_start(*, onboarding: ScheduledOnboarding, actor: Actor) -> Person:
    """A future joiner's first day: activate them, which grants the birthright of every
    template they match then (templates may have changed since HR scheduled them). Only a
    still scheduled onboarding starts; a person already activated by other means keeps
    their state and the schedule is closed."""
    with transaction.atomic():
        locked = ScheduledOnboarding.objects.select_for_update().get(pk=onboarding.pk)
        if locked.status != ScheduledOnboarding.Status.SCHEDULED:
            raise InvalidValueError(
                "status", f"this start is {locked.get_status_display()}, not scheduled"
            )
        locked.status = ScheduledOnboarding.Status.DONE
        locked.done_at = timezone.now()
        locked.save(update_fields=["status", "done_at"])
        template = f" (onboarded from {locked.template.name})" if locked.template else ""
        return persons.person_set_active(
            person=locked.person,
            actor=actor,
            active=True,
            reason=f"joiner{template}: start date {locked.starts_on.isoformat()}",
            first_day=True,
        )


def onboardings_due_run(*, actor: Actor, today: date | None = None) -> int:
    """Start the joiners scheduled for today or earlier (the beat job runs hourly, so a
    missed run catches up). Each in its own transaction, so one failure does not hold
    back the others."""
    today = today or timezone.localdate()
    due = ScheduledOnboarding.objects.filter(
        status=ScheduledOnboarding.Status.SCHEDULED, starts_on__lte=today
    ).select_related("person", "template")
    started = 0
    for onboarding in due.iterator():
        try:
            onboarding_start(onboarding=onboarding, actor=actor)
        except ProvisioningError as error:
            # Stays scheduled, so the next run tries again; the log names no person.
            logger.warning("scheduled start %s refused: %s", onboarding.pk, type(error).__name__)
            continue
        started += 1
    return started


Scheduled = TypeVar("Scheduled", bound=ScheduledChange)


def _scheduled_cancel(
    model: type[Scheduled],
    *,
    pk: Any,
    what: str,
    why: str,
    actor: Actor,
    action: Action,
    dated: str,
) -> Scheduled:
    """Lock a dated start or leave and cancel it, if it is still scheduled and a reason is
    given, and record `action` about its person with the date (the field `dated`) it was
    set for; inside the caller's transaction."""
    if not why.strip():
        raise InvalidValueError("reason", f"say why the {what} is cancelled")
    locked: Scheduled = model._default_manager.select_for_update().get(pk=pk)
    if locked.status != ScheduledChange.Status.SCHEDULED:
        raise InvalidValueError(
            "status", f"this {what} is {locked.get_status_display()}, not scheduled"
        )
    locked.status = ScheduledChange.Status.CANCELLED
    locked.save(update_fields=["status"])
    event_record(
        actor=actor,
        action=action,
        target=locked,
        subject_id=str(locked.person_id),  # type: ignore[attr-defined]
        data={dated: getattr(locked, dated).isoformat()},
        personal={"reason": why},
    )
    return locked


def onboarding_cancel(
    *, onboarding: ScheduledOnboarding, actor: Actor, reason: str
) -> ScheduledOnboarding:
    """Call off a future joiner's start (the offer was declined): they stay inactive and
    never get access. Only a still scheduled start can be cancelled. Their record now
    counts as having left, so retention anonymises it in time like any leaver's."""
    with transaction.atomic():
        locked = _scheduled_cancel(
            ScheduledOnboarding,
            pk=onboarding.pk,
            what="start",
            why=reason,
            actor=actor,
            action=Action.PERSON_ONBOARD_CANCELLED,
            dated="starts_on",
        )
        Person.objects.filter(pk=locked.person_id, active=False).update(deactivated_at=Now())
    return locked


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
        # A leaver who had not started yet never starts.
        for onboarding in ScheduledOnboarding.objects.filter(
            person=person, status=ScheduledOnboarding.Status.SCHEDULED
        ):
            onboarding_cancel(onboarding=onboarding, actor=actor, reason=reason)
        return persons.person_set_active(
            person=person, actor=actor, active=False, reason=f"leaver: {reason}"
        )


def offboarding_cancel(
    *, offboarding: ScheduledOffboarding, actor: Actor, reason: str
) -> ScheduledOffboarding:
    """Call off a leaver before their date: only a still scheduled offboarding can be
    cancelled (one carried out is undone by reactivating the person)."""
    with transaction.atomic():
        return _scheduled_cancel(
            ScheduledOffboarding,
            pk=offboarding.pk,
            what="offboarding",
            why=reason,
            actor=actor,
            action=Action.PERSON_OFFBOARD_CANCELLED,
            dated="effective_on",
        )


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
