"""The uniqueness checks run on every SCIM create and rename: one query, on the indexes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from provisioning.models import Person
from provisioning.services.persons import _user_name_is, check_unique, person_scim_create

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def plan_of(sql: str, params: object) -> str:
    """The plan when the index is usable at all (a tiny test table is scanned otherwise)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_check_unique_is_one_query_that_uses_the_user_name_index():
    Person.objects.create(user_name="someone.else", external_id="E-2")
    candidate = Person(user_name="Ada.Okafor", external_id="E-1")

    with CaptureQueriesContext(connection) as captured:
        check_unique(candidate)

    assert len(captured) == 1
    # An iexact comparison compiles to UPPER(), which no index covers: a full scan.
    assert 'LOWER("provisioning_person"."user_name")' in captured[0]["sql"]


def test_the_user_name_comparison_is_planned_on_the_unique_index():
    queryset = Person.objects.exclude(pk=Person(user_name="x").pk)

    sql, params = queryset.filter(_user_name_is("User7")).query.sql_with_params()

    assert "person_user_name_ci_unique" in plan_of(sql, params)


def test_creating_over_scim_looks_up_deleted_people_by_the_index(actor):
    # Looked up only when the insert is refused: here by a deleted user, who comes back.
    Person.objects.create(user_name="new.hire", scim_deleted_at=timezone.now())

    with CaptureQueriesContext(connection) as captured:
        person_scim_create(actor=actor, fields={"user_name": "New.Hire"})

    deleted_lookups = [q["sql"] for q in captured if '"scim_deleted_at" IS NOT NULL' in q["sql"]]
    assert deleted_lookups
    assert all("UPPER(" not in sql for sql in deleted_lookups)
