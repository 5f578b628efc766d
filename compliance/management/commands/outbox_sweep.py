"""Hand the outbox's waiting messages to the broker now, from this process: for an operator
who has just brought the broker back and does not want to wait for beat."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from compliance.outbox.relay import outbox_sweep
from compliance.outbox.selectors import outbox_backlog


class Command(BaseCommand):
    help = (
        "Relay the outbox's waiting messages to the broker (what beat's compliance.outbox_sweep "
        "does), and say how many are left. Exits 1 if the broker still cannot be reached."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        swept = outbox_sweep(
            redeliver_after=timedelta(minutes=settings.OUTBOX_REDELIVER_MINUTES),
            keep=timedelta(days=settings.OUTBOX_KEEP_DAYS),
        )
        left = outbox_backlog()
        summary = (
            f"Outbox: {swept.sent} handed to the broker, {swept.redelivered} handed over again, "
            f"{swept.pruned} delivered ones pruned; {left.waiting} still waiting."
        )
        if swept.failed and left.waiting:
            raise CommandError(f"{summary} The broker is not answering: {left.last_error}")
        self.stdout.write(summary)
