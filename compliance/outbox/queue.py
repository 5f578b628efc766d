"""Writing to the outbox, inside the caller's transaction."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.outbox.consumer import OutboxTask
from compliance.outbox.models import OutboxMessage
from compliance.outbox.relay import relay_rows
from compliance.outbox.sealing import seal


@dataclass(frozen=True)
class Message:
    """A task to run once the change commits. `args` are ids only (they cross the broker
    in the clear); `payload` is anything holding personal data or a secret, stored sealed
    and read by the task from the outbox (outbox_payload)."""

    task: Any  # a Celery task based on OutboxTask
    args: Sequence[Any] = ()
    topic: str = ""
    payload: Any = None


def outbox_put(messages: Iterable[Message]) -> list[OutboxMessage]:
    """Write the messages in the caller's transaction (one insert), and relay them once it
    commits. If it rolls back they never existed; if the broker is down when it commits,
    they wait for the sweep. Refuses a task that would not know it was already done."""
    rows = []
    for message in messages:
        if not isinstance(message.task, OutboxTask):
            raise TypeError(f"{message.task.name} must be based on OutboxTask to be sent")
        row = OutboxMessage(task=message.task.name, args=list(message.args), topic=message.topic)
        if message.payload is not None:
            row.sealed = seal(message.payload, message_id=row.pk)
        rows.append(row)
    if not rows:
        return []
    OutboxMessage.objects.bulk_create(rows)
    # Robust: the change is committed whatever happens here; the rows stay for the sweep.
    transaction.on_commit(partial(relay_rows, rows), robust=True)
    return rows


def outbox_send(
    task: Any, *args: Any, topic: str = "", payload: Any = None, once: bool = False
) -> OutboxMessage:
    """One message: outbox_send(tasks.dsar_erase, str(request.pk), topic="dsar").

    With `once`, a message for the same task and arguments that is still open is handed
    over again instead of a second one being written: its lease (claim.py) then keeps a
    run that is still going from being joined by another (a requeue of a request that
    only looked stalled, a second click on "run")."""
    if once:
        open_message = (
            OutboxMessage.objects.filter(task=task.name, args=list(args), delivered_at__isnull=True)
            .only("id", "task", "args")
            .first()
        )
        if open_message is not None:
            OutboxMessage.objects.filter(pk=open_message.pk).update(sent_at=None)
            transaction.on_commit(partial(relay_rows, [open_message]), robust=True)
            return open_message
    return outbox_put([Message(task, args, topic, payload)])[0]


# last_error of a message withdrawn before it was delivered.
WITHDRAWN = "withdrawn: "


def outbox_withdraw(message_ids: Iterable[Any], *, reason: str) -> int:
    """Withdraw messages not yet delivered (an e-mail to or about a person being erased):
    their sealed payload is wiped and they count as done, so neither the relay nor a
    redelivered Celery message runs them. `reason` holds no personal data. Returns how
    many were still waiting."""
    return OutboxMessage.objects.filter(pk__in=list(message_ids), delivered_at__isnull=True).update(
        delivered_at=timezone.now(), sealed="", last_error=f"{WITHDRAWN}{reason}"[:300]
    )
