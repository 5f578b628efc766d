"""`manage.py reapply_erasures`: after restoring a backup of the main database, erase
again every person whose identifiers are in the erasure ledger (kept in the key store,
which the main database's backups do not carry)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.dsar.erasure import person_erase
from compliance.dsar.models import Erasure
from compliance.errors import LegalHoldError
from compliance.subjects import subject_resolver


class Command(BaseCommand):
    help = "Erase again the people a restored backup brought back (by the erasure ledger)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("reapply_erasures", channel=Channel.CLI)
        erased = held = 0
        for person in subject_resolver().erased_again(options["chunk_size"]):
            try:
                person_erase(actor=actor, person=person, reason=Erasure.Reason.RESTORE)
            except LegalHoldError:
                held += 1
                continue
            erased += 1
        self.stdout.write(f"Erased again: {erased}; skipped under legal hold: {held}")
