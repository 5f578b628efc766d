"""The privacy officers' steps on a request, as the admin offers them: which are possible
in which state, their forms, and the service each calls."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest

from compliance.admin.base import staff_actor
from compliance.dsar import services
from compliance.dsar.forms import ConfirmForm, DenyForm, ExtendForm, VerifyForm
from compliance.dsar.models import DataSubjectRequest, Status
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.errors import ComplianceError
from compliance.outbox.queue import outbox_send

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
    steps: set[str] = set()
    if obj.status == Status.RECEIVED:
        steps |= {"verify", "deny"}
    if obj.status in (Status.VERIFIED, Status.RUNNING) and obj.person_id is not None:
        steps.add("erase" if obj.type == "deletion" else "export")
    if obj.status == Status.VERIFIED and obj.person_id is None:
        steps.add("close")  # nothing is held about them: the answer says so
    if obj.status == Status.VERIFIED:
        steps.add("deny")
    if obj.status == Status.READY:
        steps |= {"close", "deny"}
        if obj.type != "deletion":
            steps.add("export")
    if obj.status != Status.CLOSED and obj.extended_at is None:
        steps.add("extend")
    if obj.status != Status.CLOSED and obj.acknowledged_at is None:
        steps.add("acknowledge")
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


def _run(task: Any) -> Step:
    def run(request: HttpRequest, obj: DataSubjectRequest, data: dict[str, Any]) -> str:
        if task is dsar_erase and (hold := services.active_hold(obj.person_id)):
            raise ComplianceError(f"a legal hold blocks erasure: {hold.reason}")
        DataSubjectRequest.objects.filter(pk=obj.pk).update(
            handled_by=request.user, progress=0, progress_label="queued"
        )
        outbox_send(task, str(obj.pk), topic="dsar")  # runs once this step commits
        return "Started; the progress bar shows how far it is."

    return run


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
    "export": _run(dsar_export),
    "erase": _run(dsar_erase),
    "extend": _extend,
    "deny": _deny,
    "close": _close,
}
