"""Measure the audit export: time and peak memory while streaming N events.

    DATABASE_URL=... KEYSTORE_DATABASE_URL=... .venv/bin/python bench/audit_export.py 100000

Fills the trail up to N events (through events_record, with personal details for 1,000
subjects), then consumes export_stream() for each format without keeping the output.
Peak RSS growth during the export is what shows whether the events sit in memory.
"""

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from compliance.audit.actor import Actor  # noqa: E402
from compliance.audit.export import FORMATS, export_stream  # noqa: E402
from compliance.audit.models import AuditEvent  # noqa: E402
from compliance.audit.services import Entry, events_record  # noqa: E402
from compliance.audit.vocabulary import Action, Channel  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(total: int) -> None:
    actor = Actor.system("bench", channel=Channel.CLI)
    have = AuditEvent.objects.count()
    while have < total:
        batch = min(1000, total - have)
        events_record(
            actor=actor,
            entries=[
                Entry(
                    Action.PERSON_UPDATED,
                    ("provisioning.person", str(n % 1000)),
                    subject_id=f"bench-{n % 1000}",
                    personal={"before": {"title": "Engineer"}, "after": {"title": f"Lead {n}"}},
                    data={"fields": ["title"]},
                )
                for n in range(have, have + batch)
            ],
        )
        have += batch


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", verbosity=0)
    call_command("migrate", database="keys", verbosity=0)
    started = time.perf_counter()
    fill(total)
    filled = time.perf_counter() - started
    print(f"trail: {AuditEvent.objects.count()} events (filled in {filled:.0f} s)")
    for name in FORMATS:
        before = peak_rss_mb()
        started = time.perf_counter()
        events = AuditEvent.objects.order_by("sequence")
        size = sum(len(chunk) for chunk in export_stream(events, name))
        elapsed = time.perf_counter() - started
        print(
            f"{name:6} {size / 1e6:8.1f} MB in {elapsed:6.1f} s "
            f"({total / elapsed:,.0f} events/s); peak RSS {before:.0f} -> {peak_rss_mb():.0f} MB"
        )


if __name__ == "__main__":
    main()
