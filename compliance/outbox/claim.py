"""One run at a time per outbox message: a lease on the row, renewed by a heartbeat while
the task runs.

A message can be handed to a worker while an earlier run of it is still going: the broker
redelivers a message whose acknowledgement is late (its visibility timeout), and the sweep
hands over again what was sent long ago and never done. Without a claim the two runs would
overlap. With it, the second sees the lease and waits for it to lapse: if the first run
finishes, the message is delivered and the wait ends there; if its worker died (SIGKILL,
a lost machine), the heartbeat stopped with it, and the lease runs out within
OUTBOX_LEASE_SECONDS."""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from compliance.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def claim_take(message_id: UUID) -> str | None:
    """Take the message's lease for this run: its token, or None while another run's
    lease is live."""
    now = timezone.now()
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:80]
    taken = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id,
        delivered_at__isnull=True,
    ).update(claim=token, claimed_until=now + lease())
    return token if taken else None


def claim_remaining(message_id: UUID) -> float:
    """Seconds until another run's lease lapses (0 if it already has)."""
    until = (
        OutboxMessage.objects.filter(pk=message_id).values_list("claimed_until", flat=True).first()
    )
    return 0.0 if until is None else max(0.0, (until - timezone.now()).total_seconds())


def claim_release(message_id: UUID, token: str) -> None:
    """Let the next run (a retry) take it at once."""
    OutboxMessage.objects.filter(pk=message_id, claim=token).update(claimed_until=None)


def _renew(message_id: UUID, token: str) -> bool:
    renewed = OutboxMessage.objects.filter(
        pk=message_id, claim=token, delivered_at__isnull=True
    ).update(claimed_until=timezone.now() + lease())
    return bool(renewed)


@contextmanager
def heartbeat(message_id: UUID, token: str, beat: Callable[[], None]) -> Iterator[None]:
    """While the body runs, renew the lease (and call `beat`, the task's own sign of life)
    every quarter of the lease, from a thread with its own database connection."""
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.wait(settings.OUTBOX_LEASE_SECONDS / 4):
                try:
                    if not _renew(message_id, token):
                        logger.warning("outbox: lost the lease of message %s", message_id)
                    beat()
                except Exception as error:  # the database away for a moment: try again
                    logger.warning("outbox: heartbeat of %s failed (%s)", message_id, error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=f"outbox-heartbeat-{message_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
