"""`manage.py reapply_erasures [--ledger FILE]`: after restoring a backup of the main
database, the key store or both, erase again every person the erasure ledger says was
erased. With --ledger, the published ledger file (kept apart from both databases' backups)
is verified first and brought into the key store's ledger: its missing digests added,
lifted ones removed; then every subject it names is erased again, besides everyone whose
identifiers the ledger matches. docs/operations.md has the restore runbook."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.dsar import ledger
from compliance.dsar.erasure import person_erase
from compliance.dsar.models import Erasure
from compliance.errors import LedgerFileError, LegalHoldError
from compliance.subjects import Subject, subject_resolver


class Command(BaseCommand):
    help = "Erase again the people a restored backup brought back (by the erasure ledger)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=500)
        parser.add_argument(
            "--ledger",
            type=Path,
            help="A copy of the published erasure ledger file (ERASURE_LEDGER_PATH).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subjects: set[str] = set()
        if options["ledger"] is not None:
            subjects = self.load(options["ledger"])
        actor = Actor.system("reapply_erasures", channel=Channel.CLI)
        named = self.erase(actor, self.named(subjects))
        # Read after the named ones are erased: their records no longer match.
        matched = self.erase(actor, subject_resolver().erased_again(options["chunk_size"]))
        erased, held = named[0] + matched[0], named[1] + matched[1]
        self.stdout.write(f"Erased again: {erased}; skipped under legal hold: {held}")

    def erase(self, actor: Actor, people: list[Subject]) -> tuple[int, int]:
        erased = held = 0
        for person in people:
            try:
                person_erase(actor=actor, person=person, reason=Erasure.Reason.RESTORE)
            except LegalHoldError:
                held += 1
                continue
            erased += 1
        return erased, held

    def load(self, path: Path) -> set[str]:
        try:
            replay = ledger.ledger_replay(path)
        except LedgerFileError as error:
            raise CommandError(str(error)) from None
        added, removed = ledger.ledger_restore(replay)
        self.stdout.write(
            f"Ledger file verified: {replay.lines} lines; digests added to the key store: "
            f"{added}; lifted blocks removed: {removed}"
        )
        return replay.subjects

    def named(self, subjects: set[str]) -> list[Subject]:
        """The subjects the ledger file names whose erasure the restored database has not
        completed: their records came back with the backup."""
        done = {
            str(person)
            for person in Erasure.objects.filter(
                person_id__in=subjects, completed_at__isnull=False
            ).values_list("person_id", flat=True)
        }
        found = []
        for subject in sorted(subjects - done):
            try:
                with transaction.atomic():
                    found.append(subject_resolver().lock(subject))
            except ObjectDoesNotExist:
                continue
        return found
