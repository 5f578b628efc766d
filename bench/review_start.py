"""Measure an access review's start: time and queries to freeze N grants as items.

    DATABASE_URL=... KEYSTORE_DATABASE_URL=... .venv/bin/python bench/review_start.py 100000

Fills the database up to N active grants of one role (people in batches, each reporting
to one of 50 managers, so the start e-mails 50 reviewers), then starts a campaign of that
role and prints the time and the number of queries. The start is set-based: the queries do
not grow with N, only with the number of reviewers (one e-mail each).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from compliance.audit.actor import Actor  # noqa: E402
from compliance.audit.vocabulary import Channel  # noqa: E402
from provisioning.models import AccessGrant, Campaign, Person, PersonEmail, Role  # noqa: E402
from provisioning.services.reviews import CampaignScope, campaign_save, campaign_start  # noqa: E402

BATCH = 5000
MANAGERS = 50
PREFIX = "bench-review"


def fill(total: int) -> Role:
    """N people of the bench, each holding the bench role, arranged in bulk."""
    staff, _ = get_user_model()._default_manager.get_or_create(
        username=f"{PREFIX}-owner", defaults={"email": f"{PREFIX}-owner@example.org"}
    )
    role, _ = Role.objects.get_or_create(name=f"{PREFIX} role", defaults={"owner": staff})
    managers = []
    for number in range(MANAGERS):
        manager, created = Person.objects.get_or_create(user_name=f"{PREFIX}-manager-{number}")
        if created:
            PersonEmail.objects.create(person=manager, value=f"{manager.user_name}@example.org")
        managers.append(manager)
    have = AccessGrant.objects.filter(role=role, status="active").count()
    now = timezone.now()
    while have < total:
        size = min(BATCH, total - have)
        people = Person.objects.bulk_create(
            Person(user_name=f"{PREFIX}-{have + n}", manager=managers[(have + n) % MANAGERS])
            for n in range(size)
        )
        AccessGrant.objects.bulk_create(
            AccessGrant(person=p, role=role, source="manual", granted_by="bench", starts_at=now)
            for p in people
        )
        have += size
    return role


def main(total: int) -> None:
    role = fill(total)
    actor = Actor.system("bench", channel=Channel.CLI)
    campaign = campaign_save(
        campaign=Campaign(
            name=f"{PREFIX} {timezone.now():%Y%m%dT%H%M%S}",
            fallback_reviewer=role.owner,
        ),
        scope=CampaignScope(roles=[role]),
        actor=actor,
    )
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        run = campaign_start(campaign=campaign, actor=actor)
    seconds = time.perf_counter() - started
    print(
        f"campaign start: {run.item_count} items, {run.assignments.count()} reviewers, "
        f"{len(queries)} queries, {seconds:.1f} s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
