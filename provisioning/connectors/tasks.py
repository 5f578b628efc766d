"""Celery tasks of outbound provisioning: thin wrappers that call the services with ids.

Pushes retry with exponential backoff on DownstreamUnavailable (network errors, 5xx, 429);
after the last retry, or at once on a refusal (4xx) or a configuration error (a refused
OAuth client, an unreadable secret), the push is dead-lettered."""

from typing import Any
from uuid import UUID

from celery import Task, shared_task
from django.conf import settings

from compliance.outbox.consumer import OutboxTask
from provisioning.connectors import reconcile, sync
from provisioning.connectors.errors import (
    ConnectorConfigurationError,
    DownstreamRefused,
    DownstreamUnavailable,
)

RETRY = {
    "autoretry_for": (DownstreamUnavailable,),
    "retry_backoff": settings.OUTBOUND_RETRY_BACKOFF_SECONDS,
    "retry_backoff_max": settings.OUTBOUND_RETRY_BACKOFF_MAX_SECONDS,
    "retry_jitter": True,
    "max_retries": settings.OUTBOUND_MAX_RETRIES,
    "acks_late": True,
}


def _attempt_failed(
    task: Task[Any, Any], connector_id: str, person_ids: list[str], error: DownstreamUnavailable
) -> bool:
    """Record the failure; True if it was the last attempt (the caller then stops)."""
    final = task.request.retries >= (task.max_retries or 0)
    sync.push_failed(
        connector_id=UUID(connector_id),
        person_ids=[UUID(p) for p in person_ids],
        error=error,
        final=final,
    )
    return final


@shared_task(bind=True, base=OutboxTask, **RETRY)
def push_person(self: Task[Any, Any], connector_id: str, person_id: str) -> str:
    try:
        sync.person_push(connector_id=UUID(connector_id), person_id=UUID(person_id))
    except DownstreamUnavailable as error:
        if _attempt_failed(self, connector_id, [person_id], error):
            return "dead-lettered"
        raise
    except (DownstreamRefused, ConnectorConfigurationError) as error:
        sync.push_failed(
            connector_id=UUID(connector_id), person_ids=[UUID(person_id)], error=error, final=True
        )
        return "dead-lettered"
    return "pushed"


@shared_task(bind=True, base=OutboxTask, **RETRY)
def push_group_members(
    self: Task[Any, Any], connector_id: str, group_id: str, person_ids: list[str]
) -> str:
    try:
        sync.group_members_push(
            connector_id=UUID(connector_id),
            group_id=UUID(group_id),
            person_ids=[UUID(p) for p in person_ids],
        )
    except DownstreamUnavailable as error:
        if _attempt_failed(self, connector_id, person_ids, error):
            return "dead-lettered"
        raise
    except (DownstreamRefused, ConnectorConfigurationError) as error:
        sync.push_failed(
            connector_id=UUID(connector_id),
            person_ids=[UUID(p) for p in person_ids],
            error=error,
            final=True,
        )
        return "dead-lettered"
    return "pushed"


@shared_task(acks_late=True)
def reconcile_connector(connector_id: str) -> dict[str, int]:
    return reconcile.connector_reconcile(connector_id=UUID(connector_id)).as_dict()


@shared_task
def reconcile_all() -> int:
    """The periodic job: one reconciliation task per enabled connector."""
    from provisioning.connectors.selectors import enabled_connector_ids

    ids = enabled_connector_ids()
    for connector_id in ids:
        reconcile_connector.delay(str(connector_id))
    return len(ids)
