"""Celery tasks of data-subject requests: thin wrappers around the services, by id.

acks_late: a worker killed mid-task leaves the message on the broker, and the task runs
again; the engines are idempotent and resume. Domain errors are not retried."""

from typing import Any

from celery import shared_task

from compliance.audit.actor import Actor
from compliance.dsar import erasure, export
from compliance.dsar.models import DataSubjectRequest
from compliance.errors import ComplianceError
from compliance.outbox.consumer import OutboxTask

RETRYING: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "dont_autoretry_for": (ComplianceError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="compliance.dsar_export", base=OutboxTask, **RETRYING)
def dsar_export(request_id: str) -> str:
    request = DataSubjectRequest.objects.select_related("person").get(pk=request_id)
    package = export.request_export(actor=Actor.system("dsar_export"), request=request)
    return str(package.pk)


@shared_task(name="compliance.dsar_erase", base=OutboxTask, **RETRYING)
def dsar_erase(request_id: str) -> str:
    request = DataSubjectRequest.objects.select_related("person").get(pk=request_id)
    done = erasure.request_erase(actor=Actor.system("dsar_erase"), request=request)
    return str(done.pk)
