"""The privacy officers' steps on a request, as the admin offers them: which are possible
(the statuses compliance.dsar.states allows, and the request's own facts), their forms,
and the service each calls."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import timezone

from compliance.admin.base import staff_actor
from compliance.dsar import failures, services
from compliance.dsar.deadlines import CCPA_CHOICES
from compliance.dsar.forms import (
    AgentForm,
    CodeForm,
    ConfirmForm,
    DenyForm,
    ExtendForm,
    VerifyForm,
)
from compliance.dsar.models import (
    AuthorisedAgent,
    Certainty,
    DataSubjectRequest,
    ObjectionDecision,
    RequestType,
    Status,
)
from compliance.dsar.restriction import processing_controls
from compliance.dsar.rights import services as rights
from compliance.dsar.rights.forms import (
    CorrectForm,
    FollowUpForm,
    LiftForm,
    ObjectionForm,
    RestrictForm,
)
from compliance.dsar.states import ALLOWED, FULFILS
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.errors import VerificationError

Step = Callable[[HttpRequest, DataSubjectRequest, dict[str, Any]], str]


STEPS: dict[str, tuple[str, type[forms.Form]]] = {
    "acknowledge": ("Send the acknowledgement", ConfirmForm),
    "challenge": ("E-mail a one-time code", ConfirmForm),
    "code": ("Enter the code the requester sent back", CodeForm),
    "agent": ("Record an authorised agent", AgentForm),
    "agent_confirmed": ("Record the consumer's confirmation of the agent", ConfirmForm),
    "verify": ("Verify the requester's identity", VerifyForm),
    "export": ("Run the export", ConfirmForm),
    "erase": ("Run the erasure", ConfirmForm),
    "extend": ("Extend the deadline", ExtendForm),
    "deny": ("Deny the request", DenyForm),
    "close": ("Close the request", ConfirmForm),
    "correct": ("Correct the person's data", CorrectForm),
    "restrict": ("Restrict the processing", RestrictForm),
    "decide-objection": ("Decide the objection", ObjectionForm),
    "record-choice": ("Record the person's choice", ConfirmForm),
    "follow-up": ("Act on the upheld objection", FollowUpForm),
    "lift-restriction": ("Lift the restriction", LiftForm),
    "retry": ("Retry the failed steps", ConfirmForm),
}
# The steps that fulfil a request: only its own type's is offered.
FULFILMENT = frozenset(FULFILS.values())


# Steps of verification: possible while the request may be verified (again).
VERIFYING = ("challenge", "code", "agent", "agent_confirmed")
STEP_STATES = {**dict.fromkeys(VERIFYING, "verify"), "retry": "start"}


def available_steps(obj: DataSubjectRequest) -> set[str]:
    steps = {step for step in STEPS if obj.status in ALLOWED[STEP_STATES.get(step, step)]}
    steps -= FULFILMENT - {FULFILS[obj.type]}
    if obj.type != RequestType.OBJECTION or obj.objection_decision != ObjectionDecision.UPHELD:
        steps.discard("follow-up")
    if obj.type != RequestType.RESTRICTION or not _restricted(obj):
        steps.discard("lift-restriction")
    if obj.certainty == Certainty.REASONABLY_HIGH:
        steps -= {"verify", *VERIFYING}
    if not obj.challenges.filter(
        passed_at__isnull=True, withdrawn_at__isnull=True, expires_at__gt=timezone.now()
    ).exists():
        steps.discard("code")
    agent = AuthorisedAgent.objects.filter(request=obj).first()
    steps.discard("agent" if agent is not None else "agent_confirmed")
    if agent is not None and agent.consumer_confirmed_at is not None:
        steps.discard("agent_confirmed")
    if not failures.request_failures(obj):
        steps.discard("retry")
    if obj.person_id is None:
        steps -= FULFILMENT | {"follow-up"}  # nothing is held about them: closing says so
    elif obj.status == Status.VERIFIED:
        steps.discard("close")  # the export or erasure comes first
    if obj.extended_at is not None or obj.type in CCPA_CHOICES:
        steps.discard("extend")
    if obj.acknowledged_at is not None:
        steps.discard("acknowledge")
    return steps


def _acknowledge(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_acknowledge(
        actor=staff_actor(request),
        request=obj,
        sent_by=request.user,  # type: ignore[arg-type]
    )
    return "Acknowledgement sent to the requester."


def _challenge(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.challenge_send(
        actor=staff_actor(request),
        request=obj,
        sent_by=request.user,  # type: ignore[arg-type]
    )
    return "A one-time code was e-mailed to the requester."


def _code(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    challenge = obj.challenges.filter(passed_at__isnull=True, withdrawn_at__isnull=True).first()
    if challenge is None:
        raise VerificationError("No code is waiting for an answer; send a new one.")
    services.challenge_answer(actor=staff_actor(request), challenge=challenge, code=data["code"])
    return "The code matches: control of the e-mail address is a matched data point."


def _agent(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    proof = data["proof"]
    services.agent_record(
        actor=staff_actor(request),
        request=obj,
        name=data["name"],
        email=data["email"],
        proof=proof.read(),
        proof_name=proof.name,
    )
    return "Agent recorded; their signed permission is stored encrypted."


def _agent_confirmed(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.agent_confirm(actor=staff_actor(request), request=obj)
    return "The consumer's confirmation of the agent is recorded."


def _verify(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    done = services.request_verify(
        actor=staff_actor(request),
        request=obj,
        method=data["method"],
        verified_by=request.user,  # type: ignore[arg-type]
        data_points=data["data_points"],
        declaration=data["declaration"],
    )
    return f"Identity verified to a {done.get_certainty_display()}."


def _run(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_run(
        actor=staff_actor(request),
        request=obj,
        task=dsar_erase if obj.type == RequestType.DELETION else dsar_export,
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return "Started; the progress bar shows how far it is."


def _extend(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    done = services.request_extend(
        actor=staff_actor(request),
        request=obj,
        reason=data["reason"],
        months=data["months"],
        sent_by=request.user,  # type: ignore[arg-type]
    )
    return f"Deadline extended to {done.due_on:%d %B %Y}; the requester was told why."


def _deny(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_deny(
        actor=staff_actor(request),
        request=obj,
        basis=data["basis"],
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return "Request denied and closed; the requester was told why and how to complain."


def _close(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_close(
        actor=staff_actor(request),
        request=obj,
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return "Request closed and the requester told; its record is kept 24 months."


def _retry(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_step_retry(
        actor=staff_actor(request),
        request=obj,
        task=dsar_erase,
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return "The failed steps are running again; the progress bar shows how far they are."


def step_warning(obj: DataSubjectRequest, step: str) -> dict[str, Any] | None:
    """What a one-step right does to the person, said before the officer confirms it."""
    points = {
        "correct": [
            "The attributes you change are changed on their record at once and pushed to "
            "every downstream application that receives them.",
            "The values before and after are kept in the audit trail, encrypted.",
            "If an identity provider or HR system is the source, correct it there too, or its "
            "next update brings the old value back.",
        ],
        "restrict": [
            "Nothing about them is pushed to downstream applications any more.",
            "Nobody but a privacy officer can change them: identity providers' SCIM writes "
            "and staff edits are refused. They can still leave (losing access).",
            "It stays until you lift it from this request.",
        ],
        "lift-restriction": [
            "They can be changed again, and are pushed downstream at once with whatever "
            "changed while they were restricted.",
        ],
        "record-choice": [
            "An opt-out: they are no longer pushed to applications marked as selling or "
            "sharing personal data.",
            "A limit: applications that do not need sensitive information stop receiving it.",
        ],
    }.get(step)
    if points is None:
        return None
    return {"headline": f"This changes how {obj.person} is processed.", "points": points}


def _restricted(obj: DataSubjectRequest) -> bool:
    return obj.person_id is not None and (
        processing_controls().restricted_since(str(obj.person_id)) is not None
    )


def step_form(step: str, obj: DataSubjectRequest, data: Any, files: Any = None) -> forms.Form:
    """The step's form, bound to the POST (and its files, an agent's signed permission) if
    there is one; a correction's shows what is held about the person."""
    form_class = STEPS[step][1]
    if form_class is CorrectForm:
        return CorrectForm(data, request=obj)
    return form_class(data, files)


def _correct(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    done = rights.request_correct(
        actor=staff_actor(request),
        request=obj,
        values=data["corrections"],
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return f"Corrected; the change is pushed downstream. {_to_close(done)}"


def _restrict(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    done = rights.request_restrict(
        actor=staff_actor(request),
        request=obj,
        reason=data["ground"],
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return f"Processing restricted until you lift it. {_to_close(done)}"


def _lift(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    rights.request_restriction_lift(actor=staff_actor(request), request=obj, reason=data["reason"])
    return "Restriction lifted; the person is pushed downstream again."


def _decide(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    done = rights.request_objection_decide(
        actor=staff_actor(request),
        request=obj,
        decision=data["decision"],
        grounds=data["grounds"],
        handled_by=request.user,  # type: ignore[arg-type]
    )
    if done.objection_decision == ObjectionDecision.UPHELD:
        return "Objection upheld. Restrict or erase from “Act on the upheld objection”."
    return f"Objection rejected; the grounds are recorded. {_to_close(done)}"


def _follow_up(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    opened = rights.request_follow_up(actor=staff_actor(request), request=obj, type=data["type"])
    return f"Opened {opened}, verified; fulfil it from the list of requests."


def _choose(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    done = rights.request_choice_record(
        actor=staff_actor(request),
        request=obj,
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return f"Choice recorded; the connectors honour it from now on. {_to_close(done)}"


def _to_close(done: DataSubjectRequest) -> str:
    return f"Close the request once the person is told ({done.get_status_display()})."


STEP_ACTIONS: dict[str, Step] = {
    "retry": _retry,
    "acknowledge": _acknowledge,
    "challenge": _challenge,
    "code": _code,
    "agent": _agent,
    "agent_confirmed": _agent_confirmed,
    "verify": _verify,
    "export": _run,
    "erase": _run,
    "extend": _extend,
    "deny": _deny,
    "close": _close,
    "correct": _correct,
    "restrict": _restrict,
    "decide-objection": _decide,
    "record-choice": _choose,
    "follow-up": _follow_up,
    "lift-restriction": _lift,
}
