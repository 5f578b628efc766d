"""Measure an access review's start: time and queries to freeze N items.

    DATABASE_URL=... KEYSTORE_DATABASE_URL=... .venv/bin/python -m bench.review_start 100000

`make bench` runs it after the SCIM bench. It works in databases of its own, named after
the configured ones plus _bench_review (made and migrated if missing), so that its people
never meet the SCIM bench's data set or a developer's. It fills them up to N/2 people, each
holding one role in the bench application and one account at its connector, and reporting
to one of 50 managers; then it starts a campaign of that application with its accounts
(N items, 50 reviewers) and prints the time and the number of queries. The start is
set-based: the queries do not grow with N, only with the number of reviewers (one e-mail
each). The figures also go to bench/results/review-start.json.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

BATCH = 5000
MANAGERS = 50
PREFIX = "bench-review"
SUFFIX = "_bench_review"
RESULT = ROOT / "bench" / "results" / "review-start.json"


def own_databases(suffix: str) -> None:
    """Point the portal at the bench's own databases, before Django reads the settings."""
    from bench.run import ensure_database, with_suffix

    for variable in ("DATABASE_URL", "KEYSTORE_DATABASE_URL"):
        url = os.environ.get(variable, "")
        if url.startswith(("postgres://", "postgresql://")):
            os.environ[variable] = with_suffix(url, suffix)
            ensure_database(os.environ[variable])


def fill(people: int) -> tuple[Any, Any]:
    """The bench application, its connector and role, and N people holding both, in bulk."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from provisioning.models import (
        AccessGrant,
        Application,
        Connector,
        DownstreamAccount,
        Entitlement,
        Person,
        PersonEmail,
        Role,
    )

    staff, _ = get_user_model()._default_manager.get_or_create(
        username=f"{PREFIX}-owner", defaults={"email": f"{PREFIX}-owner@example.org"}
    )
    application, _ = Application.objects.get_or_create(name=f"{PREFIX} app")
    connector, _ = Connector.objects.get_or_create(
        application=application,
        defaults={"base_url": "https://bench.invalid/scim/v2", "secret_sealed": "unused"},
    )
    seat, _ = Entitlement.objects.get_or_create(application=application, name="seat")
    role, _ = Role.objects.get_or_create(name=f"{PREFIX} role", defaults={"owner": staff})
    role.entitlements.add(seat)
    managers = []
    for number in range(MANAGERS):
        manager, created = Person.objects.get_or_create(user_name=f"{PREFIX}-manager-{number}")
        if created:
            PersonEmail.objects.create(person=manager, value=f"{manager.user_name}@example.org")
        managers.append(manager)
    have = AccessGrant.objects.filter(role=role, status="active").count()
    now = timezone.now()
    while have < people:
        size = min(BATCH, people - have)
        made = Person.objects.bulk_create(
            Person(user_name=f"{PREFIX}-{have + n}", manager=managers[(have + n) % MANAGERS])
            for n in range(size)
        )
        AccessGrant.objects.bulk_create(
            AccessGrant(person=p, role=role, source="manual", granted_by="bench", starts_at=now)
            for p in made
        )
        DownstreamAccount.objects.bulk_create(
            DownstreamAccount(connector=connector, person=p, downstream_id=str(p.pk)) for p in made
        )
        have += size
    return application, staff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time an access review's start.")
    parser.add_argument("items", type=int, nargs="?", default=100_000)
    parser.add_argument("--database-suffix", default=SUFFIX)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("The review bench needs PostgreSQL: DATABASE_URL is not a postgres:// URL.")
        return 2
    own_databases(args.database_suffix)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from compliance.audit.actor import Actor
    from compliance.audit.vocabulary import Channel
    from provisioning.models import Campaign
    from provisioning.services.reviews import CampaignScope, campaign_save, campaign_start

    call_command("migrate", verbosity=0)
    if os.environ.get("KEYSTORE_DATABASE_URL"):
        call_command("migrate", database="keys", verbosity=0)
    application, fallback = fill(args.items // 2)
    actor = Actor.system("bench", channel=Channel.CLI)
    campaign = campaign_save(
        campaign=Campaign(
            name=f"{PREFIX} {timezone.now():%Y%m%dT%H%M%S}",
            fallback_reviewer=fallback,
            accounts=True,
        ),
        scope=CampaignScope(applications=[application]),
        actor=actor,
    )
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        run = campaign_start(campaign=campaign, actor=actor)
    seconds = time.perf_counter() - started
    result = {
        "measured": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": run.item_count,
        "accounts": run.items.filter(kind="account").count(),
        "reviewers": run.assignments.count(),
        "queries": len(queries),
        "seconds": round(seconds, 1),
        "cpus": os.cpu_count(),
    }
    print(
        f"campaign start: {result['items']} items ({result['accounts']} downstream accounts), "
        f"{result['reviewers']} reviewers, {result['queries']} queries, {seconds:.1f} s"
    )
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
