"""The consuming side: every task the outbox sends runs on this base, so that a message
handed over twice (a sweep after a lost acknowledgement, a redelivery) is done once."""

import logging
from functools import partial
from typing import Any
from uuid import UUID

from celery import Task
from celery.exceptions import Retry
from django.db.models import QuerySet
from django.utils import timezone

from compliance.outbox.claim import claim_release, claim_remaining, claim_take, heartbeat
from compliance.outbox.models import OutboxMessage
from compliance.outbox.sealing import unseal

logger = logging.getLogger(__name__)

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
    (directly, or with a Celery id of its own) it just runs.

    On a worker, a run holds the message's lease (claim.py) for as long as it goes: a copy
    handed over meanwhile does not run beside it, but comes back once the lease could have
    lapsed. Subclasses add their own sign of life with `heartbeat`."""

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        """Called every quarter of OUTBOX_LEASE_SECONDS while a run goes on a worker."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        message_id = _message_id(self.request.id)
        if message_id is None:
            return super().__call__(*args, **kwargs)
        rows = OutboxMessage.objects.filter(pk=message_id)
        state = list(rows.values_list("delivered_at", "sealed"))
        if state and state[0][0] is not None:
            return None  # already done: the broker handed it over again
        if not state or self.request.is_eager:
            # In-process runs cannot overlap; a task id without a row has nothing to claim.
            return self._run(rows, state, args, kwargs)
        token = claim_take(message_id)
        if token is None:
            self._come_back(message_id, args, kwargs)
            return None
        try:
            with heartbeat(message_id, token, partial(self.heartbeat, *args, **kwargs)):
                return self._run(rows, state, args, kwargs)
        finally:
            claim_release(message_id, token)

    def _run(
        self,
        rows: QuerySet[OutboxMessage],
        state: list[tuple[Any, str]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
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

    def _come_back(self, message_id: UUID, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Another run holds the lease: this copy is sent again for when it lapses, and
        then finds the message done (that run finished) or takes it over (it died)."""
        wait = claim_remaining(message_id) + 1
        logger.info(
            "outbox: %s %s is running elsewhere; back in %.0f s", self.name, message_id, wait
        )
        self.apply_async(args, kwargs, task_id=str(message_id), countdown=wait)

    @staticmethod
    def _close(rows: QuerySet[OutboxMessage], outcome: str) -> None:
        rows.filter(delivered_at__isnull=True).update(
            delivered_at=timezone.now(), sealed="", last_error=outcome, claimed_until=None
        )


def outbox_payload(task: Task) -> Any:  # type: ignore[type-arg]
    """The sealed payload of the message this task run delivers."""
    message_id = _message_id(task.request.id)
    sealed = getattr(task.request, "outbox_sealed", None)
    if message_id is None or not sealed:
        raise LookupError(f"{task.name} was not sent by the outbox with a payload")
    return unseal(sealed, message_id=message_id)
