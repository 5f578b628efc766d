"""`manage.py ropa [--output DIR]`: the record of processing activities as CSV, JSON and
a print-friendly HTML page (the same files the admin's records-of-processing page gives)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.ropa import FORMATS, record


class Command(BaseCommand):
    help = "Write the record of processing activities (GDPR Art. 30) as CSV, JSON and HTML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=Path(settings.MEDIA_ROOT) / "ropa",
            help="Directory to write ropa.csv, ropa.json and ropa.html into (created).",
        )

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot write to {output}: {error.strerror}") from None
        document = record()
        for name, spec in FORMATS.items():
            path = output / f"ropa.{name}"
            path.write_text(spec.render(document), encoding="utf-8")
            self.stdout.write(str(path))
        self.stdout.write(str(output))
