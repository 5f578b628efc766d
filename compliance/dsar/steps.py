"""The privacy officers' steps on a request, as the admin offers them: which are possible
(the statuses compliance.dsar.states allows, and the request's own facts), their forms,
and the service each calls."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest

from compliance.admin.base import staff_actor
from compliance.dsar import services
from compliance.dsar.forms import ConfirmForm, DenyForm, ExtendForm, VerifyForm
from compliance.dsar.models import DataSubjectRequest, RequestType, Status
from compliance.dsar.states import ALLOWED
from compliance.dsar.tasks import dsar_erase, dsar_export

Step = Callable[[HttpRequest, DataSubjectRequest, dict[str, Any]], str]


STEPS: dict[str, tuple[str, type[forms.Form]]] = {
    "acknowledge": ("Record the acknowledgement sent", ConfirmForm),
    "verify": ("Verify the requester's identity", VerifyForm),
    "export": ("Run the export", ConfirmForm),
    "erase": ("Run the erasure", ConfirmForm),
    "extend": ("Extend the deadline", ExtendForm),
    "deny": ("Deny the request", DenyForm),
    "close": ("Close the request", ConfirmForm),
}


def available_steps(obj: DataSubjectRequest) -> set[str]:
    steps = {step for step in STEPS if obj.status in ALLOWED[step]}
    steps.discard("export" if obj.type == RequestType.DELETION else "erase")
    if obj.person_id is None:
        steps -= {"export", "erase"}  # nothing is held about them: closing says so
    elif obj.status == Status.VERIFIED:
        steps.discard("close")  # the export or erasure comes first
    if obj.extended_at is not None:
        steps.discard("extend")
    if obj.acknowledged_at is not None:
        steps.discard("acknowledge")
    return steps


def _acknowledge(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_acknowledge(actor=staff_actor(request), request=obj)
    return "Acknowledgement recorded."


def _verify(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_verify(
        actor=staff_actor(request),
        request=obj,
        method=data["method"],
        verified_by=request.user,  # type: ignore[arg-type]
    )
    return "Identity verified."


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
        actor=staff_actor(request), request=obj, reason=data["reason"], months=data["months"]
    )
    return f"Deadline extended to {done.due_on:%d %B %Y}; the notice is recorded as sent."


def _deny(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_deny(
        actor=staff_actor(request),
        request=obj,
        basis=data["basis"],
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return "Request denied and closed."


def _close(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
    services.request_close(
        actor=staff_actor(request),
        request=obj,
        handled_by=request.user,  # type: ignore[arg-type]
    )
    return "Request closed; its record is kept 24 months."


STEP_ACTIONS: dict[str, Step] = {
    "acknowledge": _acknowledge,
    "verify": _verify,
    "export": _run,
    "erase": _run,
    "extend": _extend,
    "deny": _deny,
    "close": _close,
}
