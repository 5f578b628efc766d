"""The benchmark's data set, loaded fast and identically from a seed into PostgreSQL.

    python -m bench.dataset [--users 100000] [--seed 8] [--replace]

It reads DATABASE_URL like the portal (run `manage.py migrate` first) and writes:
- the persons, each with an externalId, a work e-mail and the enterprise attributes, about
  5% of them inactive; the first 1% manage the others;
- 1,000 ordinary groups, which every person belongs to two of;
- the groups bench-1k, bench-10k and bench-50k with that many members (at most --users).

Rows go in with COPY: at 100,000 persons that is a few seconds where bulk_create takes
minutes. The load writes the tables directly, not through the services, so it records
no audit events: it is a fixture for measuring, not a history.
"""

import argparse
import hashlib
import os
import random
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

USERS = 100_000
SEED = 8
ORDINARY_GROUPS = 1_000
GROUPS_PER_PERSON = 2
BIG_GROUPS = {"bench-1k": 1_000, "bench-10k": 10_000, "bench-50k": 50_000}
INACTIVE_SHARE = 0.05
MANAGER_SHARE = 0.01
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "Guido",
    "Hedy",
    "Ivan",
    "John",
    "Karen",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Shafi",
    "Sophie",
    "Tim",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Liskov",
    "Shannon",
    "Knuth",
    "Dijkstra",
    "Allen",
    "Hopper",
    "Rossum",
    "Lamarr",
    "Sutherland",
    "Backus",
    "Jones",
    "Torvalds",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Goldwasser",
    "Wilson",
    "Berners-Lee",
]
DEPARTMENTS = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Support",
    "Operations",
    "Research",
    "Design",
    "Security",
    "People",
    "Procurement",
]
DIVISIONS = ("Products", "Go-to-market", "Corporate")
TITLES = ("Engineer", "Manager", "Analyst", "Designer", "Consultant", "Director")


@dataclass(frozen=True)
class Report:
    persons: int
    groups: int
    memberships: int
    seconds: float
    digest: str


def load(*, users: int = USERS, seed: int = SEED, replace: bool = False) -> Report:
    """Load the data set into the default database, which must be PostgreSQL and, unless
    replace is set, hold no persons yet. replace empties the identity tables first, and
    with them every table that refers to a person or a group."""
    from django.db import connection, transaction

    from provisioning.models import Group, Membership, Person, PersonEmail

    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark data set loads into PostgreSQL only (DATABASE_URL)")
    if users < 1:
        raise SystemExit("--users must be at least 1")
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    with transaction.atomic():
        if replace:
            tables = ", ".join(
                model._meta.db_table for model in (Membership, PersonEmail, Group, Person)
            )
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables} CASCADE")
        elif Person.objects.exists():
            raise SystemExit("the database already holds persons; --replace empties it first")

        persons = _persons(rng, users)
        person_ids = [row["id"] for row in persons]
        _copy(Person, persons)
        _copy(
            PersonEmail,
            (
                {"person_id": row["id"], "value": row["user_name"], "type": "work", "primary": True}
                for row in persons
            ),
        )
        groups = _groups(rng)
        _copy(Group, groups)
        memberships = list(_memberships(rng, person_ids, [row["id"] for row in groups]))
        _copy(Membership, memberships)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner must see the new sizes before any query
    return Report(
        persons=len(persons),
        groups=len(groups),
        memberships=len(memberships),
        seconds=time.perf_counter() - started,
        digest=digest(),
    )


def digest() -> str:
    """A fingerprint of what the data set holds, computed in the database: the same seed
    and size give the same digest, and results can name the data they were measured on."""
    from django.db import connection

    fingerprint = hashlib.sha256()
    with connection.cursor() as cursor:
        for query in _DIGEST_QUERIES:
            cursor.execute(query)
            fingerprint.update(cursor.fetchone()[0].encode())
    return fingerprint.hexdigest()


_DIGEST_QUERIES = (
    "SELECT coalesce(md5(string_agg(concat_ws('|', id, user_name, external_id, active,"
    " manager_id, department, employee_number, created), ',' ORDER BY id)), '')"
    " FROM provisioning_person",
    "SELECT coalesce(md5(string_agg(concat_ws('|', person_id, value, type, \"primary\"), ','"
    " ORDER BY person_id, value)), '') FROM provisioning_personemail",
    "SELECT coalesce(md5(string_agg(concat_ws('|', id, display_name, external_id), ','"
    " ORDER BY id)), '') FROM provisioning_group",
    "SELECT coalesce(md5(string_agg(concat_ws('|', group_id, person_id), ','"
    " ORDER BY group_id, person_id)), '') FROM provisioning_membership",
)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _persons(rng: random.Random, users: int) -> list[dict[str, Any]]:
    managers = max(1, int(users * MANAGER_SHARE))
    rows: list[dict[str, Any]] = []
    for n in range(users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        active = rng.random() >= INACTIVE_SHARE
        created = EPOCH + timedelta(seconds=n)
        rows.append(
            {
                "id": _uuid(rng),
                "user_name": f"{first.lower()}.{last.lower()}.{n}@bench.example",
                "external_id": f"ext-{n:07d}",
                "given_name": first,
                "family_name": last,
                "display_name": f"{first} {last}",
                "title": rng.choice(TITLES),
                "department": rng.choice(DEPARTMENTS),
                "division": rng.choice(DIVISIONS),
                "organization": "Bench Corporation",
                "cost_center": f"CC-{rng.randrange(100):03d}",
                "employee_number": f"{n:07d}",
                "employment_type": "contractor" if rng.random() < 0.1 else "employee",
                "manager_id": rows[rng.randrange(managers)]["id"] if n >= managers else None,
                "active": active,
                "deactivated_at": None if active else created + timedelta(days=30),
                "created": created,
                "modified": created,
            }
        )
    return rows


def _groups(rng: random.Random) -> list[dict[str, Any]]:
    names = [f"group-{n:04d}" for n in range(ORDINARY_GROUPS)] + list(BIG_GROUPS)
    return [
        {
            "id": _uuid(rng),
            "display_name": name,
            "external_id": f"grp-{name}",
            "created": EPOCH,
            "modified": EPOCH,
        }
        for name in names
    ]


def _memberships(
    rng: random.Random, person_ids: Sequence[uuid.UUID], group_ids: Sequence[uuid.UUID]
) -> Iterator[dict[str, Any]]:
    ordinary, big = group_ids[:ORDINARY_GROUPS], group_ids[ORDINARY_GROUPS:]
    for person_id in person_ids:
        for group_id in rng.sample(ordinary, GROUPS_PER_PERSON):
            yield {"group_id": group_id, "person_id": person_id, "created": EPOCH}
    for group_id, size in zip(big, BIG_GROUPS.values(), strict=True):
        for person_id in rng.sample(person_ids, min(size, len(person_ids))):
            yield {"group_id": group_id, "person_id": person_id, "created": EPOCH}


def _copy(model: Any, rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows into a model's table. Columns a row leaves out get the field's default,
    so fields added to the models later do not break the load; auto ids come from the
    database."""
    from django.db import connection, models

    fields = [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.AutoField | models.BigAutoField)
    ]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    defaults = {field.attname: field.get_default() for field in fields}
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(
                [
                    row[field.attname] if field.attname in row else defaults[field.attname]
                    for field in fields
                ]
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS, help="persons to load (smoke: 1000)")
    parser.add_argument("--seed", type=int, default=SEED, help="the same seed loads the same data")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="empty the identity tables first (and every table referring to them)",
    )
    arguments = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    report = load(users=arguments.users, seed=arguments.seed, replace=arguments.replace)
    print(
        f"loaded {report.persons} persons, {report.groups} groups and {report.memberships}"
        f" memberships in {report.seconds:.1f} s; digest {report.digest}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
