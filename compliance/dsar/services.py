"""The steps of a data-subject request, legal holds, and erased identities presented
again. Each is one transaction with its audit event; identifiers go only into the
encrypted `personal` part of the event."""

import hashlib
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.audit.vocabulary import Outcome as EventOutcome
from compliance.dsar import agents, deadlines, failures, ledger, notices, stores, verification
from compliance.dsar.downloads import services as downloads
from compliance.dsar.models import (
    ONLY_UNDER,
    AuthorisedAgent,
    Certainty,
    Channel,
    DataSubjectRequest,
    DenialBasis,
    Erasure,
    ErasureStep,
    LegalHold,
    Outcome,
    RequestType,
    Status,
    VerificationChallenge,
    VerificationMethod,
)
from compliance.dsar.notices import Kind
from compliance.dsar.states import FULFILS, LEADS_TO, request_locked
from compliance.errors import (
    AgentError,
    ExtensionError,
    IncidentError,
    LegalHoldError,
    RequestStateError,
    VerificationError,
)
from compliance.incidents.models import Incident
from compliance.incidents.services import finding_dismiss, finding_raise, incident_close
from compliance.outbox.queue import outbox_send
from compliance.routers import KEY_STORE
from compliance.subjects import Subject, subject_id

if TYPE_CHECKING:
    from celery import Task


def request_receive(
    *,
    actor: Actor,
    regulation: str,
    type: str,
    person: Subject | None,
    identifiers: dict[str, str] | None = None,
    received_by: AbstractBaseUser | None = None,
    received_at: datetime | None = None,
    contact_email: str = "",
    channel: str = "",
) -> DataSubjectRequest:
    """Log a request as received at `received_at` (now if not given; never in the
    future); its deadlines follow from the regulation and the day of receipt where the
    organisation is."""
    if regulation not in deadlines.Regulation.values or type not in RequestType.values:
        raise RequestStateError("unknown regulation or request type")
    if ONLY_UNDER.get(type, regulation) != regulation:
        raise RequestStateError(f"the {type} right is given by {ONLY_UNDER[type].upper()} only")
    if channel and channel not in Channel.values:
        raise RequestStateError(f"unknown channel {channel!r}")
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise RequestStateError("a request cannot be received in the future")
    due = deadlines.deadlines(
        regulation=regulation, type=type, received=deadlines.received_on(received_at)
    )
    with transaction.atomic():
        request = DataSubjectRequest.objects.create(
            regulation=regulation,
            type=type,
            person_id=person.pk if person is not None else None,
            subject_identifiers=identifiers or {},
            received_by_id=_staff_id(received_by),
            received_at=received_at,
            acknowledge_by=due.acknowledge_by,
            due_on=due.respond_by,
            contact_email=contact_email,
            channel=channel,
        )
        _record(
            actor,
            Action.DSAR_RECEIVED,
            request,
            personal={"identifiers": identifiers or {}, "contact_email": contact_email},
            data={"channel": channel},
        )
    return request


def request_acknowledge(
    *, actor: Actor, request: DataSubjectRequest, sent_by: AbstractBaseUser | None = None
) -> DataSubjectRequest:
    """Send the acknowledgement notice and record it (CCPA: within 10 business days)."""
    with transaction.atomic():
        locked = request_locked(request, step="acknowledge")
        if locked.acknowledged_at is not None:
            raise RequestStateError("the request was already acknowledged")
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["acknowledged_at"])
        late = locked.acknowledge_by is not None and locked.acknowledged_at.date() > (
            locked.acknowledge_by
        )
        _record(actor, Action.DSAR_ACKNOWLEDGED, locked, data={"late": late})
        notices.notice_send(actor=actor, request=locked, kind=Kind.ACKNOWLEDGEMENT, sent_by=sent_by)
    return locked


def request_verify(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    method: str,
    verified_by: AbstractBaseUser | None = None,
    data_points: Sequence[str] = (),
    declaration: bool = False,
) -> DataSubjectRequest:
    """Record how the requester's identity was verified and to what degree of certainty
    (compliance.dsar.verification); nothing runs before this. A request verified to a
    reasonable degree can be verified again with more data points."""
    if method not in VerificationMethod.values:
        raise RequestStateError(f"unknown verification method {method!r}")
    with transaction.atomic():
        locked = request_locked(request, step="verify")
        if locked.certainty == Certainty.REASONABLY_HIGH:
            raise VerificationError("the identity is already verified to a reasonably high degree")
        points = sorted(set(data_points))
        if problem := verification.verification_problem(
            locked, method=method, data_points=points, declaration=declaration
        ):
            raise VerificationError(problem)
        certainty = verification.certainty_of(
            method=method, data_points=points, declaration=declaration
        )
        locked.verification_method = method
        locked.data_points = points
        locked.declaration_signed = declaration
        locked.certainty = certainty or ""
        locked.verified_by_id = _staff_id(verified_by)
        locked.verified_at = timezone.now()
        locked.status = LEADS_TO["verify"]
        locked.handled_by_id = locked.handled_by_id or _staff_id(verified_by)
        locked.save()
        _record(
            actor,
            Action.DSAR_VERIFIED,
            locked,
            data={"method": method, "certainty": locked.certainty, "data_points": points},
        )
    return locked


def challenge_send(
    *, actor: Actor, request: DataSubjectRequest, sent_by: AbstractBaseUser | None = None
) -> VerificationChallenge:
    """E-mail a fresh one-time code to the requester (never to an agent), withdrawing any
    earlier one. Only the code's hash is kept; the e-mail waits sealed in the outbox."""
    code, code_hash = verification.code_new()
    with transaction.atomic():
        locked = request_locked(request, step="verify")
        now = timezone.now()
        locked.challenges.filter(passed_at__isnull=True, withdrawn_at__isnull=True).update(
            withdrawn_at=now
        )
        challenge = VerificationChallenge.objects.create(
            request=locked, code_hash=code_hash, expires_at=now + verification.CODE_VALID_FOR
        )
        notices.notice_send(
            actor=actor,
            request=locked,
            kind=Kind.CHALLENGE,
            sent_by=sent_by,
            code=code,
            expires_at=challenge.expires_at,
            link=notices.challenge_page_url(verification.challenge_link_token(challenge)),
        )
        _record(actor, Action.DSAR_CHALLENGE_SENT, locked, data={"challenge": str(challenge.pk)})
    return challenge


def challenge_answer(
    *, actor: Actor, challenge: VerificationChallenge, code: str
) -> VerificationChallenge:
    """Check a one-time code, entered by the privacy officer from the requester's reply or
    by the requester on the link's page. Every attempt is counted and recorded, a wrong
    one too (its own transaction, kept when the refusal is raised); after MAX_ATTEMPTS the
    code is withdrawn. A right one makes control of the address a matched data point."""
    with transaction.atomic():
        locked = VerificationChallenge.objects.select_for_update().get(pk=challenge.pk)
        if refusal := verification.challenge_refusal(locked, now=timezone.now()):
            raise VerificationError(refusal)
        locked.attempts += 1
        passed = verification.code_matches(locked, code)
        if passed:
            locked.passed_at = timezone.now()
        elif locked.attempts >= verification.MAX_ATTEMPTS:
            locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["attempts", "passed_at", "withdrawn_at"])
        event_record(
            actor=actor,
            action=Action.DSAR_CHALLENGE_ANSWERED,
            target=locked.request,
            subject_id=locked.request.subject_id,
            outcome=EventOutcome.SUCCESS if passed else EventOutcome.FAILED,
            data={"challenge": str(locked.pk), "attempt": locked.attempts},
        )
    if not passed:
        left = verification.MAX_ATTEMPTS - locked.attempts
        raise VerificationError(
            f"The code does not match; {left} attempt{'s' if left != 1 else ''} left."
            if left
            else "The code does not match, and no attempts are left: send a new code."
        )
    return locked


def agent_record(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    name: str,
    email: str,
    proof: bytes,
    proof_name: str,
) -> AuthorisedAgent:
    """Record the authorised agent and their signed permission, the document sealed under
    the data subject's key (erasing the subject crypto-shreds it)."""
    if not name.strip() or not email.strip():
        raise AgentError("Give the agent's name and e-mail address.")
    if not proof:
        raise AgentError("Attach the signed permission the agent gave.")
    with transaction.atomic():
        locked = request_locked(request, step="verify")
        if AuthorisedAgent.objects.filter(request=locked).exists():
            raise AgentError("An agent is already recorded for this request.")
        agent = AuthorisedAgent(request=locked, name=name.strip(), email=email.strip())
        agents.proof_seal(agent, subject_id=locked.subject_id, content=proof, name=proof_name)
        try:
            agent.save()
            _record(
                actor,
                Action.DSAR_AGENT_RECORDED,
                locked,
                personal={"agent": agent.name, "agent_email": agent.email},
                data={"proof_sha256": agent.proof_sha256},
            )
        except BaseException:
            agents.proof_delete(agent)
            raise
    return agent


def agent_confirm(*, actor: Actor, request: DataSubjectRequest) -> AuthorisedAgent:
    """Record that the consumer confirmed directly that they gave the agent permission
    (CCPA §7063(a)(2))."""
    with transaction.atomic():
        locked = request_locked(request, step="verify")
        agent = AuthorisedAgent.objects.select_for_update().filter(request=locked).first()
        if agent is None:
            raise AgentError("Record the agent first.")
        if agent.consumer_confirmed_at is not None:
            raise AgentError("The consumer already confirmed the agent's permission.")
        agent.consumer_confirmed_at = timezone.now()
        agent.save(update_fields=["consumer_confirmed_at"])
        _record(actor, Action.DSAR_AGENT_CONFIRMED, locked)
    return agent


def request_extend(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    reason: str,
    months: int = deadlines.GDPR_MAX_EXTENSION_MONTHS,
    sent_by: AbstractBaseUser | None = None,
) -> DataSubjectRequest:
    """Extend the deadline once, with reasons, while the original deadline has not passed
    (GDPR: up to two months, the person told within the first month; CCPA: 45 days with
    notice). The notice with the reasons and the new date is sent now."""
    if not reason.strip():
        raise ExtensionError("an extension needs its reasons")
    with transaction.atomic():
        locked = request_locked(request, step="extend")
        if locked.extended_at is not None:
            raise ExtensionError("the deadline was already extended once")
        if locked.type in deadlines.CCPA_CHOICES:
            raise ExtensionError(
                "an opt-out or a limit is acted on within 15 business days; it has no extension"
            )
        if timezone.now().date() > locked.due_on:
            raise ExtensionError("the original deadline has passed; it can no longer be extended")
        if locked.regulation == deadlines.Regulation.GDPR and not (
            1 <= months <= deadlines.GDPR_MAX_EXTENSION_MONTHS
        ):
            raise ExtensionError("GDPR allows an extension of one or two months")
        now = timezone.now()
        locked.extended_at = locked.extension_notified_at = now
        locked.extension_months = months if locked.regulation == deadlines.Regulation.GDPR else 0
        locked.extension_reason = reason
        locked.due_on = deadlines.deadlines(
            regulation=locked.regulation,
            type=locked.type,
            received=deadlines.received_on(locked.received_at),
            extended=True,
            extension_months=locked.extension_months,
        ).respond_by
        locked.save()
        _record(actor, Action.DSAR_EXTENDED, locked, data={"due_on": str(locked.due_on)})
        notices.notice_send(actor=actor, request=locked, kind=Kind.EXTENSION, sent_by=sent_by)
    return locked


def request_deny(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    basis: str,
    handled_by: AbstractBaseUser | None = None,
) -> DataSubjectRequest:
    """Refuse the request on a recorded legal basis, telling the requester why and how to
    complain to the authority; this closes it."""
    if basis not in DenialBasis.values:
        raise RequestStateError(f"unknown denial basis {basis!r}")
    with transaction.atomic():
        locked = request_locked(request, step="deny")
        locked.denial_basis = basis
        _request_end(locked, step="deny", outcome=Outcome.DENIED, handled_by=handled_by)
        _record(actor, Action.DSAR_DENIED, locked, data={"basis": basis})
        notices.notice_send(actor=actor, request=locked, kind=Kind.DENIAL, sent_by=handled_by)
        _forget_contact_if_erased(locked)
    return locked


def request_close(
    *, actor: Actor, request: DataSubjectRequest, handled_by: AbstractBaseUser | None = None
) -> DataSubjectRequest:
    """Close a fulfilled request, or a verified one about whom nothing is held (no person
    matched), sending the completion notice; its minimal record is then kept 24 months."""
    with transaction.atomic():
        locked = request_locked(request, step="close")
        if locked.status == Status.VERIFIED and locked.person_id is not None:
            raise RequestStateError("run the export or erasure before closing the request")
        _request_end(locked, step="close", outcome=Outcome.FULFILLED, handled_by=handled_by)
        _record(actor, Action.DSAR_CLOSED, locked, data={"outcome": Outcome.FULFILLED})
        completion = notices.completion_context(locked)
        send = partial(
            notices.notice_send,
            actor=actor,
            request=locked,
            kind=Kind.COMPLETION,
            sent_by=handled_by,
        )
        if completion["package"] is None:
            send(**completion)
        else:
            # The link is the data: the consumer's alone, the agent told it went to them.
            link, url = downloads.download_link_issue(actor=actor, package=completion["package"])
            consumer = notices.requester_address(locked)
            send(to=[consumer], download_link=link, download_url=url, **completion)
            if agent := notices.agent_address(locked):
                send(to=[agent], link_sent_to_consumer=True, **completion)
        _forget_contact_if_erased(locked)
    return locked


def request_run(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    task: "Task[[str], str]",
    handled_by: AbstractBaseUser | None = None,
) -> DataSubjectRequest:
    """Queue the export or the erasure of a verified request about a known person (its
    type says which; `task` is the one that runs it), to start once this commits. An
    erasure is refused while a legal hold stands."""
    step = FULFILS[request.type]
    if step not in ("export", "erase"):
        raise RequestStateError(f"a {request.type} request is not fulfilled by a task")
    with transaction.atomic():
        locked = request_locked(request, step=step)
        if locked.person_id is None:
            raise RequestStateError(f"no person matches this request; there is nothing to {step}")
        if blocked := verification.step_blocked(locked, step):
            raise VerificationError(blocked)
        if step == "erase" and (hold := active_hold(locked.person_id)) is not None:
            raise LegalHoldError(hold.reason)
        locked.handled_by_id = _staff_id(handled_by)
        locked.progress = 0
        locked.progress_label = "queued"
        locked.save(update_fields=["handled_by", "progress", "progress_label"])
        outbox_send(task, str(locked.pk), topic="dsar", once=True)
        _record(actor, Action.DSAR_STARTED, locked, data={"step": step})
    return locked


def request_step_retry(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    task: "Task[[str], str]",
    handled_by: AbstractBaseUser | None = None,
) -> DataSubjectRequest:
    """Run again the erasure steps that failed (a downstream application that did not
    answer): their records are dropped and the erasure resumes, running only those; the
    receipt is written again. `task` is the erasure task."""
    with transaction.atomic():
        locked = request_locked(request, step="start")
        erasure = Erasure.objects.select_for_update().filter(request=locked).first()
        failed = failures.failed_steps(erasure.steps.all()) if erasure else []
        if erasure is None or not failed:
            raise RequestStateError("no step of this request failed; there is nothing to retry")
        ErasureStep.objects.filter(pk__in=[step.pk for step in failed]).delete()
        erasure.completed_at = None
        erasure.save(update_fields=["completed_at"])
        locked.handled_by_id = _staff_id(handled_by) or locked.handled_by_id
        locked.progress_label = "queued"
        locked.save(update_fields=["handled_by", "progress_label"])
        outbox_send(task, str(locked.pk), topic="dsar")
        _record(
            actor,
            Action.DSAR_STEP_RETRIED,
            locked,
            data={"steps": sorted(step.eraser for step in failed)},
        )
    return locked


def request_receive_verified(
    *,
    actor: Actor,
    regulation: str,
    type: str,
    person: Subject,
    identifiers: dict[str, str],
    method: str,
) -> DataSubjectRequest:
    """Log a request as received and verified at once, by an operator who checked the
    requester's identity before logging it. A deletion under a legal hold is refused
    before anything is recorded."""
    if type == RequestType.DELETION and (hold := active_hold(person.pk)) is not None:
        raise LegalHoldError(hold.reason)
    with transaction.atomic():
        request = request_receive(
            actor=actor, regulation=regulation, type=type, person=person, identifiers=identifiers
        )
        return request_verify(actor=actor, request=request, method=method)


def legal_hold_place(
    *, actor: Actor, person: Subject, reason: str, placed_by: AbstractBaseUser | None = None
) -> LegalHold:
    """Place a hold: until it is lifted, neither a request nor retention erases the person."""
    if not reason.strip():
        raise RequestStateError("a legal hold needs its reason")
    with transaction.atomic():
        hold = LegalHold.objects.create(
            person_id=person.pk, reason=reason, placed_by_id=_staff_id(placed_by)
        )
        event_record(
            actor=actor,
            action=Action.LEGAL_HOLD_PLACED,
            target=hold,
            subject_id=subject_id(person),
            personal={"reason": reason},
        )
    return hold


def legal_hold_lift(
    *, actor: Actor, hold: LegalHold, lifted_by: AbstractBaseUser | None = None
) -> LegalHold:
    """Lift a hold; the person can be erased again unless another hold remains."""
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.lifted_at is not None:
            raise RequestStateError("this hold was already lifted")
        locked.lifted_at = timezone.now()
        locked.lifted_by_id = _staff_id(lifted_by)
        locked.save()
        event_record(
            actor=actor,
            action=Action.LEGAL_HOLD_LIFTED,
            target=locked,
            subject_id=str(locked.person_id),
        )
    return locked


def active_hold(person_id: Any) -> LegalHold | None:
    return LegalHold.objects.filter(person_id=person_id, lifted_at__isnull=True).first()


def _staff_id(user: AbstractBaseUser | None) -> Any:
    """The primary key of a member of staff (AUTH_USER_MODEL, whichever it is), or None."""
    return None if user is None else user.pk


def _request_end(
    locked: DataSubjectRequest, *, step: str, outcome: str, handled_by: AbstractBaseUser | None
) -> None:
    """A request ends with its outcome and the time, handled by whoever ends it (or, when
    no member of staff is named, by whoever handled it before)."""
    locked.outcome = outcome
    locked.status = LEADS_TO[step]
    locked.closed_at = timezone.now()
    locked.handled_by_id = _staff_id(handled_by) or locked.handled_by_id
    locked.save()


def _forget_contact_if_erased(locked: DataSubjectRequest) -> None:
    """Once the answer is sent, a request whose subject was erased keeps no readable
    address: the erasure left it only so that the answer could reach them."""
    if locked.person_id is None:
        return
    erased = Erasure.objects.filter(person_id=locked.person_id, completed_at__isnull=False)
    if erased.exists():
        stores.contact_forget(locked)


def _record(
    actor: Actor,
    action: Action,
    request: DataSubjectRequest,
    *,
    personal: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    event_record(
        actor=actor,
        action=action,
        target=request,
        subject_id=request.subject_id,
        personal=personal or None,
        data={"regulation": request.regulation, "type": request.type, **(data or {})},
    )


# --- An erasure sticks: an erased identity presented again ------------------------------
# The identity domain asks the ledger at every door that creates or re-activates a person,
# and calls these; they know only keyed hashes, never names.

ERASED_IDENTITY_TARGET = "compliance.erasureledgerentry"


def erased_identity_refused(*, actor: Actor, digests: list[str], subject_id: str = "") -> Incident:
    """Record a refusal (an audit event, outcome denied) and open a finding for the privacy
    officers, or return the one still open for the same identity: an identity provider
    retries every cycle, and that is one finding, not one per retry. Its own transaction,
    committed before the caller's refusal is raised, so the refusal is never lost with
    the caller's rollback. `subject_id` is the person being re-activated, if any."""
    identity = hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()
    with transaction.atomic():
        event_record(
            actor=actor,
            action=Action.ERASED_IDENTITY_REFUSED,
            target=(ERASED_IDENTITY_TARGET, identity[:16]),
            subject_id=subject_id,
            outcome=EventOutcome.DENIED,
            data={"identifiers_matched": len(digests), "channel": str(actor.channel)},
        )
        incident, _ = finding_raise(
            kind=Incident.Kind.ERASED_IDENTITY_RETURNED,
            severity=Incident.Severity.MEDIUM,
            summary=f"An identity erased at the data subject's request was presented again "
            f"({actor.channel}); it was refused",
            details={"digests": sorted(digests), "channel": str(actor.channel)},
            dedupe_key=identity,
            actor=actor,
        )
    return incident


def erasure_block_lift(*, incident: Incident, reason: str, actor: Actor) -> Incident:
    """Let a genuine rehire through: the identifiers the finding is about leave the
    ledger, so the next attempt creates the person, and the finding closes. Only a
    finding of a refused erased identity, only while open, and always with a reason
    (kept encrypted in the trail: it may name the person)."""
    if incident.kind != Incident.Kind.ERASED_IDENTITY_RETURNED:
        raise IncidentError(None, "Only a refused erased identity has a block to lift.")
    if not reason.strip():
        raise IncidentError("reason", "Say why this person may be provisioned again.")
    digests = [str(digest) for digest in incident.details.get("digests", [])]
    note = "The erasure block was lifted for a rehire (the reason is in the audit trail)."
    with transaction.atomic(), transaction.atomic(using=KEY_STORE):
        if incident.is_breach:
            closed = incident_close(
                incident=incident,
                actor=actor,
                notified_to_authority=False,
                notified_at=None,
                note=note,
            )
        else:
            closed = finding_dismiss(finding=incident, actor=actor, reason=note)
        lifted = ledger.ledger_lift(digests)
        event_record(
            actor=actor,
            action=Action.ERASURE_BLOCK_LIFTED,
            target=closed,
            subject_id=f"erased-identity:{closed.pk}",
            personal={"reason": reason.strip()},
            data={"incident": str(closed.pk), "identifiers_lifted": lifted},
        )
    return closed


def request_requeue(
    *, actor: Actor, request: DataSubjectRequest, task: "Task[[str], str]"
) -> DataSubjectRequest:
    """Queue a stalled export or erasure again (`task` runs it), through the outbox, to
    resume where it stopped; restart its clock so the next sweep does not queue it twice."""
    with transaction.atomic():
        locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        stalled_since = locked.progress_at
        locked.progress_at = timezone.now()
        locked.save(update_fields=["progress_at"])
        outbox_send(task, str(locked.pk), topic="dsar", once=True)
        _record(
            actor,
            Action.DSAR_REQUEUED,
            locked,
            data={
                "progress": locked.progress,
                "step": locked.progress_label,
                "stalled_since": stalled_since.isoformat() if stalled_since else None,
            },
        )
    return locked
