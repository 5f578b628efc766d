"""`manage.py dsar export USERNAME` / `manage.py dsar erase USERNAME`: log the request as
received and verified by the command-line operator, queue it through the outbox for a
worker (as the admin's "run" does), follow its progress, and print the package or receipt
path on the last line. With --no-wait, or when DSAR_COMMAND_TIMEOUT passes first, it says
where to follow the request instead: the run goes on in the worker either way. Without
Redis (the SQLite demo) the task runs in-process as it is queued.

An export stays encrypted under MEDIA_ROOT unless --output asks for a readable copy, which
only its owner may read (mode 0600)."""

import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.dsar import erasure, export, services
from compliance.dsar import package as packages
from compliance.dsar.deadlines import Regulation
from compliance.dsar.models import (
    DataSubjectRequest,
    Erasure,
    ExportPackage,
    RequestType,
    Status,
    VerificationMethod,
)
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.errors import ComplianceError
from compliance.outbox.consumer import FAILED
from compliance.outbox.models import OutboxMessage
from compliance.outbox.relay import relay_now
from compliance.subjects import subject_resolver

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Queue a data-subject export or erasure for one person, by userName, for the worker, "
        "and follow it until it is done (or --no-wait)."
    )

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
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="Queue the request for the worker and return; its page in the admin shows "
            "its progress.",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=settings.DSAR_COMMAND_TIMEOUT,
            help="Seconds to wait for the worker (default DSAR_COMMAND_TIMEOUT); the run "
            "goes on after that.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subjects = subject_resolver()
        person = subjects.find(options["username"])
        if person is None:
            raise CommandError(f"no person has the userName {options['username']!r}")
        actor = Actor.system("dsar command", channel=Channel.CLI)
        exporting = options["action"] == "export"
        task = dsar_export if exporting else dsar_erase
        try:
            request = services.request_receive_verified(
                actor=actor,
                regulation=options["regulation"],
                type=RequestType.ACCESS if exporting else RequestType.DELETION,
                person=person,
                identifiers=subjects.describe(person),
                method=options["method"],
            )
            services.request_run(actor=actor, request=request, task=task)
        except ComplianceError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Request {request.pk} received, verified and queued ({task.name}).")
        if options["no_wait"]:
            self.stdout.write("Not waiting: the request's page in the admin shows its progress.")
            return
        self._wait(request, task.name, options["timeout"])
        if exporting:
            package = ExportPackage.objects.filter(request=request).latest("created_at")
            path = packages.package_path(package)
            if options["output"] is not None:
                path = options["output"] / f"dsar-{request.pk}.zip"
                _write_private(path, export.package_download(actor=actor, package=package))
        else:
            path = erasure.receipt_path(Erasure.objects.get(request=request))
        self.stdout.write(str(path.resolve()))

    def _wait(self, request: DataSubjectRequest, task: str, timeout: int) -> None:
        """Follow the request until it is ready, printing each change of its progress; a
        one-line error if its task gave up or the time runs out."""
        message = [str(request.pk)]
        relay_now(task=task, args=message)  # if the broker was away when it committed
        deadline = time.monotonic() + timeout
        shown: tuple[int, str] | None = None
        while True:
            request.refresh_from_db(fields=["status", "progress", "progress_label"])
            if request.status == Status.READY:
                return
            failed = _failure(task, message)
            if failed:
                raise CommandError(
                    f"request {request.pk}: the worker gave up ({failed}); "
                    "its page in the admin shows where it stopped"
                )
            if (request.progress, request.progress_label) != shown:
                shown = (request.progress, request.progress_label)
                self.stdout.write(f"  {request.progress}% {request.progress_label}")
            if time.monotonic() > deadline:
                raise CommandError(
                    f"request {request.pk} is still at {request.progress}% "
                    f"({request.progress_label}) after {timeout} s; it goes on in the worker "
                    "(is one running?) and its page in the admin shows when it is done"
                )
            time.sleep(POLL_SECONDS)


def _failure(task: str, args: list[str]) -> str:
    outcome = (
        OutboxMessage.objects.filter(task=task, args=args, last_error__startswith=FAILED)
        .values_list("last_error", flat=True)
        .first()
    )
    return outcome.removeprefix(FAILED) if outcome else ""


def _write_private(path: Path, content: bytes) -> None:
    """Created readable by its owner alone (not after the fact: never a moment at 0644),
    and tightened if the file was already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(content)
