"""`manage.py dsar export USERNAME` / `manage.py dsar erase USERNAME`: log the request as
received and verified by the command-line operator, run it through Celery, wait, and print
the package or receipt path on the last line. An export stays encrypted under MEDIA_ROOT
unless --output asks for a readable copy, which only its owner may read (mode 0600)."""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.dsar import erasure, export, services
from compliance.dsar import package as packages
from compliance.dsar.deadlines import Regulation
from compliance.dsar.models import Erasure, ExportPackage, RequestType, VerificationMethod
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.errors import ComplianceError
from compliance.subjects import subject_resolver


class Command(BaseCommand):
    help = "Run a data-subject export or erasure for one person, by userName, and wait."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("export", "erase"))
        parser.add_argument("username", help="The person's userName (case is ignored).")
        parser.add_argument("--regulation", choices=Regulation.values, default=Regulation.GDPR)
        parser.add_argument(
            "--method",
            choices=VerificationMethod.values,
            default=VerificationMethod.HR_RECORD,
            help="How the requester's identity was verified.",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Folder to write a decrypted copy of the export ZIP to (mode 0600). "
            "Without it, the path of the encrypted package under MEDIA_ROOT is printed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subjects = subject_resolver()
        person = subjects.find(options["username"])
        if person is None:
            raise CommandError(f"no person has the userName {options['username']!r}")
        actor = Actor.system("dsar command", channel=Channel.CLI)
        exporting = options["action"] == "export"
        try:
            request = services.request_receive_verified(
                actor=actor,
                regulation=options["regulation"],
                type=RequestType.ACCESS if exporting else RequestType.DELETION,
                person=person,
                identifiers=subjects.describe(person),
                method=options["method"],
            )
            task = dsar_export if exporting else dsar_erase
            self.stdout.write(f"Request {request.pk} received and verified; running {task.name}")
            result_id = task.delay(str(request.pk)).get(timeout=settings.DSAR_COMMAND_TIMEOUT)
        except ComplianceError as error:
            raise CommandError(str(error)) from error
        if exporting:
            package = ExportPackage.objects.get(pk=result_id)
            path = packages.package_path(package)
            if options["output"] is not None:
                path = options["output"] / f"dsar-{request.pk}.zip"
                _write_private(path, export.package_download(actor=actor, package=package))
        else:
            path = erasure.receipt_path(Erasure.objects.get(pk=result_id))
        self.stdout.write(str(path.resolve()))


def _write_private(path: Path, content: bytes) -> None:
    """Created readable by its owner alone (not after the fact: never a moment at 0644),
    and tightened if the file was already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(content)
