"""Celery tasks of data-subject requests: thin wrappers around the services, by id.

acks_late with reject_on_worker_lost: a worker killed mid-task leaves the message on the
broker (requeued, not acknowledged as failed), and the task runs again; the engines are
idempotent and resume. Domain errors are not retried. A beat job requeues a request whose
step stopped moving (its heartbeat stopped: the worker died), in case the message itself
was lost; through the outbox, onto the request's open message if it has one, whose lease
keeps two runs of one request from overlapping."""

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.dsar import deprovisioning, erasure, export, progress, services
from compliance.dsar.models import DataSubjectRequest, RequestType
from compliance.errors import ComplianceError
from compliance.outbox.consumer import OutboxTask

RETRYING: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "dont_autoretry_for": (ComplianceError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


class DsarTask(OutboxTask):
    """While an export or erasure runs, its heartbeat keeps the request's progress clock
    moving, so a long step is never taken for a stalled one and queued beside itself."""

    def heartbeat(self, request_id: str) -> None:
        progress.request_alive(request_id=request_id)


@shared_task(name="compliance.dsar_export", base=DsarTask, **RETRYING)
def dsar_export(request_id: str) -> str:
    request = DataSubjectRequest.objects.select_related("person").get(pk=request_id)
    package = export.request_export(actor=Actor.system("dsar_export"), request=request)
    return str(package.pk)


@shared_task(name="compliance.dsar_erase", base=DsarTask, **RETRYING)
def dsar_erase(request_id: str) -> str:
    request = DataSubjectRequest.objects.select_related("person").get(pk=request_id)
    done = erasure.request_erase(actor=Actor.system("dsar_erase"), request=request)
    return str(done.pk)


@shared_task(name="compliance.dsar_deprovisioning_erase", base=OutboxTask, **RETRYING)
def dsar_deprovisioning_erase(subject_id: str) -> str | None:
    """Erase a person their identity provider deprovisioned, under an erase policy."""
    done = deprovisioning.deprovisioning_erase(
        actor=Actor.system("dsar_deprovisioning_erase"), subject_id=subject_id
    )
    return None if done is None else str(done.pk)


@shared_task(name="compliance.dsar_requeue_stalled", acks_late=True)
def dsar_requeue_stalled() -> list[str]:
    """The beat job: queue again every running request whose step made no progress for
    DSAR_STALLED_MINUTES. Returns their ids."""
    actor = Actor.system("dsar_requeue_stalled")
    stalled = progress.requests_stalled(
        now=timezone.now(), stalled_for=timedelta(minutes=settings.DSAR_STALLED_MINUTES)
    )
    requeued = []
    for request in stalled:
        task = dsar_erase if request.type == RequestType.DELETION else dsar_export
        services.request_requeue(actor=actor, request=request, task=task)
        requeued.append(str(request.pk))
    return requeued
