"""The progress of a running export or erasure, for the request's page. Bookkeeping, not
audit events: the step records its own event (dsar.exported, dsar.erased) when it is done,
and a retry may run through these again."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.utils import timezone

from compliance.dsar.models import DataSubjectRequest, Status
from compliance.dsar.states import ALLOWED, LEADS_TO, request_locked


def request_start(*, request: DataSubjectRequest, label: str) -> DataSubjectRequest:
    """Mark a verified request as running (a task picked it up); a retry may restart it."""
    with transaction.atomic():
        locked = request_locked(request, step="start")
        locked.status = LEADS_TO["start"]
        locked.progress = 0
        locked.progress_label = label
        locked.progress_at = timezone.now()
        locked.save(update_fields=["status", "progress", "progress_label", "progress_at"])
    return locked


def request_progress(*, request: DataSubjectRequest, percent: int, label: str) -> None:
    """Committed at once, so the page sees it while the task runs."""
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        progress=max(0, min(100, percent)), progress_label=label[:100], progress_at=Now()
    )


def request_alive(*, request_id: str) -> None:
    """The running task's heartbeat (DsarTask): a step that takes long is still going,
    not stalled."""
    DataSubjectRequest.objects.filter(pk=request_id, status=Status.RUNNING).update(
        progress_at=timezone.now()
    )


def request_fulfilled(*, request: DataSubjectRequest) -> None:
    """The step is done: the request is ready to close."""
    DataSubjectRequest.objects.filter(pk=request.pk, status__in=ALLOWED["fulfil"]).update(
        status=LEADS_TO["fulfil"], progress=100, progress_label="done"
    )


def requests_stalled(*, now: datetime, stalled_for: timedelta) -> QuerySet[DataSubjectRequest]:
    """Running requests whose step has not moved, and whose heartbeat has not beaten, for
    `stalled_for`: their worker died (a SIGKILL leaves the message unacknowledged) or the
    message was lost."""
    return DataSubjectRequest.objects.filter(
        status=Status.RUNNING, progress_at__lt=now - stalled_for
    ).order_by("progress_at")
