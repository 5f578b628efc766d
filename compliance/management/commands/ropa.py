"""`manage.py ropa [--output DIR]`: the record of processing activities as CSV, JSON and
a print-friendly HTML page."""

import csv
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.loader import render_to_string

from compliance.ropa import Record, record

NO_TRANSFERS = "None"
CSV_COLUMNS = (
    "controller",
    "controller contact",
    "DPO contact",
    "purpose",
    "lawful basis",
    "categories of data subjects",
    "categories of personal data",
    "personal data",
    "recipients",
    "transfers to third countries",
    "time limits for erasure",
    "sources",
)


def _joined(values: list[str]) -> str:
    return "; ".join(values)


def write_csv(path: Path, document: Record) -> None:
    controller = document.controller
    transfers = _joined(document.transfers) or NO_TRANSFERS
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        for activity in document.activities:
            writer.writerow(
                (
                    controller.name,
                    controller.contact,
                    controller.dpo_contact,
                    activity.purpose,
                    _joined(activity.lawful_bases),
                    _joined(activity.data_subjects),
                    _joined(activity.data_categories),
                    _joined(activity.personal_data),
                    _joined(activity.recipients),
                    transfers,
                    _joined(activity.retention),
                    _joined(activity.sources),
                )
            )


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
        paths = {name: output / f"ropa.{name}" for name in ("csv", "json", "html")}
        write_csv(paths["csv"], document)
        paths["json"].write_text(
            json.dumps(document.as_json(), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        paths["html"].write_text(
            render_to_string("compliance/ropa.html", {"record": document}), encoding="utf-8"
        )
        for path in paths.values():
            self.stdout.write(str(path))
        self.stdout.write(str(output))
