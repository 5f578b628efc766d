"""Handing outbox rows to the broker: on commit, and from the beat sweep."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from compliance.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 200
# The on-commit relay hands its own rows over without a lock; the sweep leaves rows this
# young to it, so the two rarely race (and the consumer skips a repeat when they do).
GRACE = timedelta(seconds=10)
# A request or a sweep must not hang on a dead broker: two quick retries, then the rows
# wait for the next sweep.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


@dataclass
class Relayed:
    sent: int = 0
    failed: int = 0
    broker_down: bool = False


def relay_rows(rows: Sequence[OutboxMessage], *, isolate: bool = False) -> Relayed:
    """Hand these rows to Celery, each with its row id as the task id, and mark those the
    broker took as sent. The first broker failure ends the run: the rest wait for the
    sweep, with the attempt and the error recorded on the row that failed."""
    app: Any = current_app  # the app in force (tests swap in their own)
    eager = bool(app.conf.task_always_eager)
    result = Relayed()
    sent: list[UUID] = []
    for row in rows:
        try:
            _hand_over(app, row, eager=eager, isolate=isolate)
        except Exception as error:  # a broker's, or in eager mode the task's own
            _record_failure(row, error, eager=eager)
            result.failed += 1
            if not eager:
                result.broker_down = True
                break
            continue
        sent.append(row.pk)
    if sent:
        OutboxMessage.objects.filter(pk__in=sent, sent_at__isnull=True).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
    result.sent = len(sent)
    return result


def relay(*, batch: int = BATCH, grace: timedelta = GRACE) -> Relayed:
    """The sweep's relay: the oldest `batch` waiting rows written more than `grace` ago
    (fresher ones belong to their on-commit relay), locked so that two sweeps never take
    the same row (SKIP LOCKED on PostgreSQL)."""
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                sent_at__isnull=True,
                delivered_at__isnull=True,
                created_at__lt=timezone.now() - grace,
            )
            .order_by("created_at")
            .only("id", "task", "args")[:batch]
        )
        return relay_rows(rows, isolate=True)


def relay_now(*, task: str, args: list[Any]) -> Relayed:
    """Hand over at once the waiting message of this task with these arguments: for a
    caller that waits for its own message (the `dsar` command) rather than for the sweep,
    when the broker was away at commit. In-process, that runs it."""
    rows = list(
        OutboxMessage.objects.filter(
            task=task, args=args, sent_at__isnull=True, delivered_at__isnull=True
        ).only("id", "task", "args")
    )
    return relay_rows(rows)


def _hand_over(app: Any, row: OutboxMessage, *, eager: bool, isolate: bool) -> None:
    task = app.tasks[row.task]
    if eager and isolate:
        # In-process (development, tests) from the sweep: the task runs inside the sweep's
        # transaction; a savepoint keeps a failing one from spoiling the others' bookkeeping.
        with transaction.atomic():
            task.apply_async(args=row.args, task_id=str(row.pk))
        return
    task.apply_async(args=row.args, task_id=str(row.pk), retry=True, retry_policy=PUBLISH_RETRY)


def _record_failure(row: OutboxMessage, error: Exception, *, eager: bool) -> None:
    # A task's own error may quote personal data: only its type is kept. A broker's says
    # what is wrong with the connection.
    reason = type(error).__name__ if eager else f"{type(error).__name__}: {error}"
    logger.warning("outbox: %s %s not handed over (%s)", row.task, row.pk, reason)
    # An eager task that gave up has already closed its message (consumer.OutboxTask).
    OutboxMessage.objects.filter(pk=row.pk, delivered_at__isnull=True).update(
        attempts=F("attempts") + 1, last_error=reason[:300]
    )


@dataclass
class Swept:
    sent: int = 0
    failed: int = 0
    redelivered: int = 0
    pruned: int = 0


def outbox_sweep(*, redeliver_after: timedelta, keep: timedelta, grace: timedelta = GRACE) -> Swept:
    """The beat job. Rows handed over longer than `redeliver_after` ago and never done are
    handed over again (a broker restarted without persistence loses its queue; the
    consumer skips what it already did), unless a run holds their lease. Then everything
    waiting is relayed, batch by batch, until the broker fails or nothing is left;
    delivered rows older than `keep` are deleted."""
    now = timezone.now()
    swept = Swept()
    swept.redelivered = (
        OutboxMessage.objects.filter(sent_at__lt=now - redeliver_after, delivered_at__isnull=True)
        .exclude(claimed_until__gte=now)  # running: its heartbeat says so
        .update(sent_at=None)
    )
    while True:
        relayed = relay(grace=grace)
        swept.sent += relayed.sent
        swept.failed += relayed.failed
        if relayed.broker_down or relayed.sent == 0:
            break
    swept.pruned, _ = OutboxMessage.objects.filter(delivered_at__lt=now - keep).delete()
    return swept
