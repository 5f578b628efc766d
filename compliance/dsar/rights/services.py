"""The steps that fulfil correction, restriction, objection and the CCPA choices. Each is
one transaction with its audit event about the request; what it changes about the person
the identity domain changes, through the doors it registered (compliance.dsar.corrections,
compliance.dsar.restriction), and records there too. Values and grounds go only into the
encrypted `personal` part of the events."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Action
from compliance.dsar.corrections import corrector
from compliance.dsar.models import DataSubjectRequest, ObjectionDecision, RequestType
from compliance.dsar.recipients import recipients_notify
from compliance.dsar.restriction import processing_controls

# The request's own event and staff id, as the other steps of a request record them.
from compliance.dsar.services import _record, _staff_id, request_receive_verified
from compliance.dsar.states import LEADS_TO, request_locked
from compliance.errors import RequestStateError

# What may follow an upheld objection: the processing objected to stops for good (erasure)
# or while the person's data is only kept (restriction).
FOLLOW_UPS = (RequestType.RESTRICTION, RequestType.DELETION)


def request_correct(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    values: dict[str, Any],
    handled_by: AbstractBaseUser | None = None,
) -> DataSubjectRequest:
    """Correct the person's attributes through the identity domain's person service (which
    records the change and pushes it downstream), and fulfil the request. The fields that
    changed, before and after, are recorded encrypted under the person's key; a correction
    that changes nothing is refused, so the officer knows nothing was done."""
    with transaction.atomic():
        locked = _locked_about_a_person(request, step="correct")
        changed = corrector().correct(str(locked.person_id), values, actor)
        if not changed:
            raise RequestStateError("nothing differs from what is held; enter the corrections")
        _fulfil(locked, "correct", handled_by)
        _record(
            actor,
            Action.DSAR_CORRECTED,
            locked,
            personal={
                "before": {name: before for name, (before, _) in changed.items()},
                "after": {name: after for name, (_, after) in changed.items()},
            },
            data={"fields": sorted(changed)},
        )
    return locked


def request_restrict(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    reason: str,
    handled_by: AbstractBaseUser | None = None,
) -> DataSubjectRequest:
    """Restrict the processing of the person's data (Art. 18(1)): nothing about them is
    pushed downstream and only a privacy officer changes them, until it is lifted. Each
    application that holds their data is told to stop processing it (Art. 19)."""
    with transaction.atomic():
        locked = _locked_about_a_person(request, step="restrict")
        processing_controls().restrict(str(locked.person_id), actor, reason)
        _fulfil(locked, "restrict", handled_by)
        _record(actor, Action.DSAR_RESTRICTED, locked, personal={"reason": reason})
        recipients_notify(actor=actor, request=locked)
    return locked


def request_restriction_lift(
    *, actor: Actor, request: DataSubjectRequest, reason: str
) -> DataSubjectRequest:
    """Lift the restriction a restriction request placed (the person having been told
    first, Art. 18(3)); the identity domain records the lifting and pushes again."""
    if request.type != RequestType.RESTRICTION:
        raise RequestStateError("only a restriction request places a restriction to lift")
    with transaction.atomic():
        locked = _locked_about_a_person(request, step="lift-restriction")
        processing_controls().lift(str(locked.person_id), actor, reason)
    return locked


def request_objection_decide(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    decision: str,
    grounds: str,
    handled_by: AbstractBaseUser | None = None,
) -> DataSubjectRequest:
    """Decide an objection to processing based on legitimate interests (Art. 21(1)): the
    processing stops unless the controller demonstrates compelling legitimate grounds
    that override the person's interests, so a rejection must state them. The grounds
    are recorded encrypted; an upheld objection then offers its follow-ups."""
    if decision not in ObjectionDecision.values:
        raise RequestStateError(f"unknown decision {decision!r}")
    if decision == ObjectionDecision.REJECTED and not grounds.strip():
        raise RequestStateError("a rejection must state the compelling legitimate grounds")
    with transaction.atomic():
        locked = request_locked(request, step="decide-objection")
        if locked.type != RequestType.OBJECTION:
            raise RequestStateError("only an objection is decided")
        locked.objection_decision = decision
        _fulfil(locked, "decide-objection", handled_by)
        _record(
            actor,
            Action.DSAR_OBJECTION_DECIDED,
            locked,
            personal={"grounds": grounds.strip()},
            data={"decision": decision},
        )
    return locked


def request_follow_up(
    *, actor: Actor, request: DataSubjectRequest, type: str
) -> DataSubjectRequest:
    """Open the request that follows an upheld objection (a restriction or an erasure),
    for the same person and verified as the objection was: it is then fulfilled on its
    own page, with its own confirmation."""
    if type not in FOLLOW_UPS:
        raise RequestStateError(f"{type} does not follow an objection")
    if request.objection_decision != ObjectionDecision.UPHELD or request.person is None:
        raise RequestStateError("only an upheld objection about a known person has follow-ups")
    return request_receive_verified(
        actor=actor,
        regulation=request.regulation,
        type=type,
        person=request.person,
        identifiers=request.subject_identifiers,
        method=request.verification_method,
    )


def request_choice_record(
    *, actor: Actor, request: DataSubjectRequest, handled_by: AbstractBaseUser | None = None
) -> DataSubjectRequest:
    """Record a CCPA opt-out of sale or sharing, or a limit on the use of sensitive
    personal information, on the person, where the connectors honour it from now on; the
    third parties that already received the data are told to comply (§7026(f)(2),
    §7027(g)(2)), since no longer pushing to them does not stop their use of it."""
    if request.type not in (RequestType.SALE_OPT_OUT, RequestType.LIMIT_SENSITIVE):
        raise RequestStateError("only an opt-out or a limit records a choice")
    with transaction.atomic():
        locked = _locked_about_a_person(request, step="record-choice")
        processing_controls().choose(str(locked.person_id), actor, locked.type)
        _fulfil(locked, "record-choice", handled_by)
        _record(actor, Action.DSAR_PREFERENCE_RECORDED, locked, data={"choice": locked.type})
        recipients_notify(actor=actor, request=locked)
    return locked


def _locked_about_a_person(request: DataSubjectRequest, *, step: str) -> DataSubjectRequest:
    locked = request_locked(request, step=step)
    if locked.person_id is None:
        raise RequestStateError("no person matches this request; there is nothing to change")
    return locked


def _fulfil(locked: DataSubjectRequest, step: str, handled_by: AbstractBaseUser | None) -> None:
    locked.status = LEADS_TO[step]
    locked.handled_by_id = _staff_id(handled_by) or locked.handled_by_id
    locked.progress, locked.progress_label, locked.progress_at = 100, "done", timezone.now()
    locked.save()
