"""The benchmark's data set: persons, e-mails and groups, generated from a seed and streamed
into PostgreSQL with COPY.

Bench data bypasses the services and the audit trail on purpose: it is fixture data, not
activity. Recording 100,000 onboardings would measure the audit trail, not SCIM, and take
longer than the whole benchmark may.

    python -m bench.dataset --users 1000 --reset
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

FULL_USERS = 100_000
FULL_ORDINARY_GROUPS = 1_000
ORDINARY_GROUP_MEMBERS = 20
# The three large groups at 100,000 users; scaled down with --users.
BIG_GROUP_SIZES = (1_000, 10_000, 50_000)
INACTIVE_SHARE = 0.05
DOMAIN = "bench.example.com"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

GIVEN = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
FAMILY = ("Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")
DEPARTMENTS = ("Engineering", "Sales", "Finance", "People", "Legal", "Support", "Marketing")
DIVISIONS = ("North", "South", "East", "West")
TYPES = ("employee", "contractor", "intern")

PERSON_COLUMNS = (
    "id, user_name, external_id, given_name, middle_name, family_name, honorific_prefix,"
    " honorific_suffix, display_name, nick_name, title, preferred_language, locale, timezone,"
    " department, employee_number, cost_center, organization, division, employment_type,"
    " location, active, deactivated_at, employment_start, version, created, modified"
)


class DatasetError(Exception):
    """The data set cannot be loaded into this database."""


@dataclass(frozen=True)
class Plan:
    """How many of each thing a data set of `users` persons holds."""

    users: int
    seed: int

    @property
    def ordinary_groups(self) -> int:
        return max(10, FULL_ORDINARY_GROUPS * self.users // FULL_USERS)

    @property
    def big_groups(self) -> tuple[int, ...]:
        # At least 50, so that the PATCH scenarios have distinct members to remove at smoke size.
        return tuple(max(50, size * self.users // FULL_USERS) for size in BIG_GROUP_SIZES)


def big_group_name(size_at_full: int) -> str:
    """The displayName of a large group, named for its size at 100,000 users."""
    return f"bench-members-{size_at_full // 1000}k"


def user_name(index: int) -> str:
    return f"user{index:06d}@{DOMAIN}"


def external_id(index: int) -> str:
    return f"ext-{index:06d}"


def work_email(index: int) -> str:
    return f"mail{index:06d}@{DOMAIN}"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _copy_text(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _line(*values: object) -> str:
    return "\t".join(_copy_text(value) for value in values) + "\n"


def person_rows(plan: Plan, ids: list[uuid.UUID]) -> Iterator[str]:
    rng = random.Random(f"{plan.seed}-persons")
    for index, person_id in enumerate(ids):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        active = rng.random() >= INACTIVE_SHARE
        created = EPOCH + timedelta(seconds=index)
        yield _line(
            person_id,
            user_name(index),
            external_id(index),
            given,
            "",
            family,
            "",
            "",
            f"{given} {family}",
            "",
            rng.choice(("Engineer", "Analyst", "Manager", "Designer")),
            "en",
            "en-GB",
            "Europe/London",
            rng.choice(DEPARTMENTS),
            f"E{index:06d}",
            f"CC{rng.randrange(100):03d}",
            "Bench Ltd",
            rng.choice(DIVISIONS),
            rng.choice(TYPES),
            "London",
            active,
            None if active else created + timedelta(days=30),
            date(2020, 1, 1) + timedelta(days=index % 1500),
            1,
            created,
            created,
        )


def email_rows(ids: list[uuid.UUID]) -> Iterator[str]:
    for index, person_id in enumerate(ids):
        yield _line(work_email(index), True, "work", person_id)


def group_rows(plan: Plan, group_ids: list[uuid.UUID]) -> Iterator[str]:
    names = [f"bench-group-{n:04d}" for n in range(plan.ordinary_groups)]
    names += [big_group_name(size) for size in BIG_GROUP_SIZES]
    for index, (group_id, name) in enumerate(zip(group_ids, names, strict=True)):
        created = EPOCH + timedelta(seconds=index)
        yield _line(group_id, name, f"gext-{index:05d}", "", 1, created, created)


def membership_rows(
    plan: Plan, person_ids: list[uuid.UUID], group_ids: list[uuid.UUID]
) -> Iterator[str]:
    rng = random.Random(f"{plan.seed}-memberships")
    for group_id in group_ids[: plan.ordinary_groups]:
        for person_index in rng.sample(range(plan.users), min(ORDINARY_GROUP_MEMBERS, plan.users)):
            yield _line(group_id, person_ids[person_index], EPOCH)
    # The large groups take the first N persons, so the persons past the largest are
    # non-members that the PATCH scenarios can add.
    for group_id, size in zip(group_ids[plan.ordinary_groups :], plan.big_groups, strict=True):
        for person_id in person_ids[:size]:
            yield _line(group_id, person_id, EPOCH)


def person_ids(plan: Plan) -> list[uuid.UUID]:
    rng = random.Random(f"{plan.seed}-ids")
    return [_uuid(rng) for _ in range(plan.users)]


def group_ids(plan: Plan) -> list[uuid.UUID]:
    rng = random.Random(f"{plan.seed}-group-ids")
    return [_uuid(rng) for _ in range(plan.ordinary_groups + len(BIG_GROUP_SIZES))]


def _copy(cursor: Any, table: str, columns: str, rows: Iterator[str]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        batch: list[str] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 5_000:
                copy.write("".join(batch))
                batch.clear()
        copy.write("".join(batch))


TABLES = (
    "provisioning_membership",
    "provisioning_personemail",
    "provisioning_personphone",
    "provisioning_group",
    "provisioning_person",
)


def reset(cursor: Any) -> None:
    """Empty the bench's tables, refusing a database that holds people who are not bench
    data: the portal's own DATABASE_URL may point at real or demo records."""
    cursor.execute(
        "SELECT count(*) FROM provisioning_person WHERE user_name NOT LIKE %s",
        [f"%@{DOMAIN}"],
    )
    (foreign,) = cursor.fetchone()
    if foreign:
        raise DatasetError(
            f"the database holds {foreign} persons that are not bench data; "
            "point DATABASE_URL at a database of its own for the bench"
        )
    # Foreign keys are deferred: rows written earlier in this transaction leave pending
    # checks, which TRUNCATE refuses to skip.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")


def load(connection: Any, *, users: int, seed: int) -> dict[str, float]:
    """Load the data set through a psycopg 3 connection in one transaction; return the
    rows written and seconds taken per table."""
    plan = Plan(users=users, seed=seed)
    persons, groups = person_ids(plan), group_ids(plan)
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        started = time.perf_counter()
        _copy(cursor, "provisioning_person", PERSON_COLUMNS, person_rows(plan, persons))
        timings["persons_s"] = time.perf_counter() - started
        started = time.perf_counter()
        _copy(cursor, "provisioning_personemail", 'value, "primary", type, person_id',
              email_rows(persons))  # fmt: skip
        timings["emails_s"] = time.perf_counter() - started
        started = time.perf_counter()
        _copy(
            cursor,
            "provisioning_group",
            "id, display_name, external_id, description, version, created, modified",
            group_rows(plan, groups),
        )
        _copy(
            cursor,
            "provisioning_membership",
            "group_id, person_id, created",
            membership_rows(plan, persons, groups),
        )
        timings["groups_s"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("ANALYZE provisioning_person, provisioning_personemail")
        cursor.execute("ANALYZE provisioning_group, provisioning_membership")
        timings["analyze_s"] = time.perf_counter() - started
    return timings


def keys_made(persons: list[uuid.UUID], chunk: int = 10_000) -> None:
    """Each person's subject key for this quarter, as a person the portal wrote this
    quarter holds (made by the portal's own keys_for_writing, in the key store): without
    them every first write of a bench person would also make its key, which the portal
    does once a quarter per person, not once a write. Keys an earlier load left are
    dropped first: the keyring that wrapped them may be gone with the temporary folder."""
    from compliance.audit import crypto
    from compliance.audit.models import SubjectKey

    epoch = crypto.epoch_of(datetime.now(UTC))
    for start in range(0, len(persons), chunk):
        subjects = [str(person) for person in persons[start : start + chunk]]
        names = [f"{subject}{crypto.EPOCH_MARK}{epoch}" for subject in subjects]
        SubjectKey.objects.filter(subject_id__in=names).delete()
        crypto.keys_for_writing(subjects)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=FULL_USERS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset", action="store_true", help="empty the persons and groups first (bench data only)"
    )
    args = parser.parse_args(argv)
    if args.users < 100:
        parser.error("--users must be at least 100")

    import django

    django.setup()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        print("The bench data set needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        with transaction.atomic():
            connection.ensure_connection()
            raw = connection.connection
            if args.reset:
                with raw.cursor() as cursor:
                    reset(cursor)
            timings = load(raw, users=args.users, seed=args.seed)
    except DatasetError as error:
        print(f"bench data set: {error}", file=sys.stderr)
        return 1
    started_keys = time.perf_counter()
    keys_made(person_ids(Plan(users=args.users, seed=args.seed)))
    timings["keys_s"] = time.perf_counter() - started_keys
    total = time.perf_counter() - started
    details = ", ".join(f"{name} {seconds:.1f}" for name, seconds in timings.items())
    print(f"Loaded {args.users} users (seed {args.seed}) in {total:.1f} s ({details})")
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.exit(main())
