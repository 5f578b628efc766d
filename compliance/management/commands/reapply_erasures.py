"""`manage.py reapply_erasures`: after restoring a backup of the main database, erase
again every person whose identifiers are in the erasure ledger (kept in the key store,
which the main database's backups do not carry)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.dsar import ledger
from compliance.dsar.erasure import person_erase
from compliance.dsar.models import Erasure
from compliance.errors import LegalHoldError
from provisioning.models import Person


class Command(BaseCommand):
    help = "Erase again the people a restored backup brought back (by the erasure ledger)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("reapply_erasures", channel=Channel.CLI)
        erased = held = 0
        for person_id in self._matches(options["chunk_size"]):
            person = Person.objects.get(pk=person_id)
            try:
                person_erase(actor=actor, person=person, reason=Erasure.Reason.RESTORE)
            except LegalHoldError:
                held += 1
                continue
            erased += 1
        self.stdout.write(f"Erased again: {erased}; skipped under legal hold: {held}")

    def _matches(self, chunk_size: int) -> list[Any]:
        """People whose identifiers hash into the ledger, read a chunk at a time."""
        found: list[Any] = []
        chunk: list[Person] = []
        people = Person.objects.exclude(user_name__startswith="erased-").prefetch_related(
            "emails", "phone_numbers"
        )
        for person in people.iterator(chunk_size=chunk_size):
            chunk.append(person)
            if len(chunk) == chunk_size:
                found += self._known(chunk)
                chunk = []
        return found + self._known(chunk)

    @staticmethod
    def _known(chunk: list[Person]) -> list[Any]:
        by_person = {
            person.pk: ledger.digests(ledger.person_identifiers(person)) for person in chunk
        }
        known = ledger.ledger_known(digest for digests in by_person.values() for digest in digests)
        return [pk for pk, digests in by_person.items() if known.intersection(digests)]
