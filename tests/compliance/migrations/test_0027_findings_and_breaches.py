"""Migration compliance 0027 turns the incidents the alert rules raised into findings on
a database that holds them: those already handled become breaches (notified, or with an
awareness time the officer set) or "not a breach" (closed without notifying); open ones
await triage with no clock; the open hand-made-grant incidents of one granter join into
one finding. Run on the suite's PostgreSQL database, back to 0026 and forward again."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from compliance.incidents.models import Incident
from tests.factories import StaffUserFactory

BEFORE = [("compliance", "0026_dsar_requester_notices_verification")]
AFTER = [("compliance", "0027_findings_and_breaches")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def incident(model, hours_ago, **fields):
    detected = timezone.now() - timedelta(hours=hours_ago)
    defaults = {
        "kind": "scim-auth-failures",
        "summary": "x",
        "details": {},
        "dedupe_key": f"key-{hours_ago}",
        "detected_at": detected,
        "aware_at": detected,
        "status": "open",
    }
    return model.objects.create(**{**defaults, **fields}).pk


@pytest.fixture(scope="module")
def migrated(django_db_setup, django_db_blocker):
    """Incidents of every kind written at 0026, then 0027 applied: the rows as it left
    them, by name. Once for the module (each migration run takes seconds); the schema
    goes back to the latest migrations and the rows are removed, whatever happened."""
    with django_db_blocker.unblock():
        officer = StaffUserFactory()
        closed_at = timezone.now() - timedelta(hours=1)
        try:
            old = migrate(BEFORE).get_model("compliance", "Incident")
            names = {
                "notified": incident(
                    old,
                    50,
                    status="closed",
                    notified_to_authority=True,
                    notified_at=closed_at,
                    closed_at=closed_at,
                    closed_by_id=officer.pk,
                ),
                "aware_set": incident(old, 40, awareness_reason="told by IT"),
                "dismissed": incident(
                    old,
                    30,
                    status="closed",
                    closed_at=closed_at,
                    closed_by_id=officer.pk,
                    closing_note="A test by IT.",
                ),
                "waiting": incident(old, 20),
                "grant_a": incident(
                    old,
                    19,
                    kind="access-outside-process",
                    dedupe_key="granter:7:grant-a",
                    details={"count": 1, "grant_ids": ["a"], "last_sequence": 10},
                ),
                "grant_b": incident(
                    old,
                    18,
                    kind="access-outside-process",
                    dedupe_key="granter:7:grant-b",
                    details={"count": 2, "grant_ids": ["b", "c"], "last_sequence": 12},
                ),
                "grant_closed": incident(
                    old,
                    17,
                    kind="access-outside-process",
                    dedupe_key="granter:7:grant-c",
                    status="closed",
                    closed_at=closed_at,
                    details={"count": 1},
                ),
                "other_granter": incident(
                    old,
                    16,
                    kind="access-outside-process",
                    dedupe_key="granter:8:grant-d",
                    details={"count": 1},
                ),
            }
            migrate(AFTER)
            rows = {row.pk: row for row in Incident.objects.all()}
            yield {name: rows.get(pk) for name, pk in names.items()}, officer, closed_at
        finally:
            migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
            Incident.objects.all().delete()
            officer.delete()


def test_a_notified_incident_becomes_a_breach_triaged_when_its_clock_started(migrated):
    rows, _, _ = migrated
    assert (rows["notified"].stage, rows["notified"].triaged_at) == (
        "breach",
        rows["notified"].aware_at,
    )


def test_an_incident_with_an_awareness_time_set_by_the_officer_is_a_breach(migrated):
    rows, _, _ = migrated
    assert rows["aware_set"].stage == "breach"
    assert rows["aware_set"].aware_at is not None


def test_one_closed_without_notifying_was_not_a_breach_and_says_so(migrated):
    rows, officer, closed_at = migrated
    dismissed = rows["dismissed"]
    assert dismissed.stage == "not-breach"
    assert (dismissed.triaged_at, dismissed.triaged_by_id) == (closed_at, officer.pk)
    assert dismissed.triage_reason == "Closed before findings were triaged. A test by IT."


def test_an_open_one_awaits_triage_with_no_clock(migrated):
    rows, _, _ = migrated
    assert (rows["waiting"].stage, rows["waiting"].aware_at) == ("finding", None)


def test_every_incident_was_last_detected_when_first_detected_but_joined_ones(migrated):
    rows, _, _ = migrated
    for name in ("notified", "aware_set", "dismissed", "waiting", "other_granter"):
        assert rows[name].last_detected_at == rows[name].detected_at


def test_open_hand_made_grants_of_one_granter_join_into_one_finding(migrated):
    rows, _, _ = migrated
    joined = rows["grant_a"]
    assert rows["grant_b"] is None
    assert (joined.stage, joined.dedupe_key, joined.occurrences) == ("finding", "granter:7", 2)
    assert joined.details == {"count": 3, "grant_ids": ["a", "b", "c"], "last_sequence": 12}
    assert joined.last_detected_at > joined.detected_at
    assert rows["other_granter"].dedupe_key == "granter:8"


def test_a_closed_hand_made_grant_stays_apart_as_not_a_breach(migrated):
    rows, _, _ = migrated
    assert rows["grant_closed"].stage == "not-breach"
    assert rows["grant_closed"].dedupe_key == "granter:7:grant-c"
