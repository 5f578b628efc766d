"""The consuming side: every task the outbox sends runs on this base, so that a message
handed over twice (a sweep after a lost acknowledgement, a redelivery) is done once."""

from typing import Any
from uuid import UUID

from celery import Task
from celery.exceptions import Retry
from django.db.models import QuerySet
from django.utils import timezone

from compliance.outbox.models import OutboxMessage
from compliance.outbox.sealing import unseal

# last_error of a message whose task gave up.
FAILED = "failed: "


def _message_id(task_id: str | None) -> UUID | None:
    try:
        return UUID(task_id) if task_id else None
    except ValueError:
        return None


class OutboxTask(Task):  # type: ignore[type-arg]
    """Keyed by the outbox id, which the relay sends as the Celery task id. A delivered
    message is skipped; a run that ends marks it delivered and wipes its sealed payload,
    with "failed: <error type>" when the task gave up. A run that is retried, or a worker
    that dies, leaves it open (the sweep hands it over again). Called some other way
    (directly, or with a Celery id of its own) it just runs."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        message_id = _message_id(self.request.id)
        if message_id is None:
            return super().__call__(*args, **kwargs)
        rows = OutboxMessage.objects.filter(pk=message_id)
        state = list(rows.values_list("delivered_at", "sealed"))
        if state and state[0][0] is not None:
            return None  # already done: the broker handed it over again
        if state:
            self.request.outbox_sealed = state[0][1]  # type: ignore[attr-defined]  # read once
        try:
            result = super().__call__(*args, **kwargs)
        except Retry:
            raise  # to be run again: still open
        except Exception as error:
            # Given up (its retries spent, or a refusal): done, and marked failed, rather
            # than handed over again every OUTBOX_REDELIVER_MINUTES for ever. Only the
            # error's type is kept: its message may quote personal data.
            if state:
                self._close(rows, f"{FAILED}{type(error).__name__}")
            raise
        if state:
            self._close(rows, "")
        return result

    @staticmethod
    def _close(rows: QuerySet[OutboxMessage], outcome: str) -> None:
        rows.filter(delivered_at__isnull=True).update(
            delivered_at=timezone.now(), sealed="", last_error=outcome
        )


def outbox_payload(task: Task) -> Any:  # type: ignore[type-arg]
    """The sealed payload of the message this task run delivers."""
    message_id = _message_id(task.request.id)
    sealed = getattr(task.request, "outbox_sealed", None)
    if message_id is None or not sealed:
        raise LookupError(f"{task.name} was not sent by the outbox with a payload")
    return unseal(sealed, message_id=message_id)
