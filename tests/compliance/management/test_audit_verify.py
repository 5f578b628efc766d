"""`manage.py audit_verify`: exit status 0 with a count, or 1 naming the first broken event."""

from functools import partial

import pytest
from django.core.management import ManagementUtility, call_command
from django.db import connections

from compliance.audit.chain import CHAINED_FIELDS, event_hash
from compliance.audit.models import AuditEvent
from provisioning.models import Person
from provisioning.services.groups import group_create, group_members_remove
from provisioning.services.persons import person_create, person_set_active, person_update

pytestmark = pytest.mark.django_db

EVENTS = AuditEvent._meta.db_table


@pytest.fixture
def audit_verify(capsys, monkeypatch):
    """Run the command as `manage.py audit_verify` does: (exit status, stdout, stderr).
    At its end a command closes every connection, as a process about to exit may; here
    that would close the connection under the test's own transaction."""
    monkeypatch.setattr(connections, "close_all", lambda: None)
    return partial(run_audit_verify, capsys)


def run_audit_verify(capsys):
    try:
        ManagementUtility(["manage.py", "audit_verify", "--chunk-size", "7"]).execute()
        status: object = 0
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def a_days_changes(actor, people):
    """Moves, a leaver, a team formed and trimmed."""
    for person in people[:3]:
        person_update(person=person, actor=actor, fields={"title": "Team Lead"})
    person_set_active(person=people[3], actor=actor, active=False, reason="left")
    team = group_create(actor=actor, display_name="tiger-team", member_ids=[p.pk for p in people])
    group_members_remove(group=team, person_ids=[people[0].pk], actor=actor)


@pytest.fixture
def activity(actor):
    people = [person_create(actor=actor, fields={"user_name": f"person{n}"}) for n in range(1, 11)]
    a_days_changes(actor, people)
    return AuditEvent.objects.count()


def test_after_a_day_of_demo_activity_the_trail_passes(actor, capsys, audit_verify):
    call_command("seed_demo")
    a_days_changes(actor, list(Person.objects.order_by("user_name")[:6]))
    capsys.readouterr()
    recorded = AuditEvent.objects.count()  # the command closes the connection when done

    status, out, err = audit_verify()

    assert (status, err) == (0, "")
    assert out.strip() == f"Audit chain intact: {recorded} events verified."


def test_an_empty_trail_passes(audit_verify):
    assert audit_verify() == (0, "Audit chain intact: 0 events verified.\n", "")


def test_an_altered_event_fails_and_is_named(activity, audit_verify, tamper):
    tamper(f'UPDATE {EVENTS} SET data = \'{{"reason": ""}}\' WHERE sequence = %s', [12])

    status, out, err = audit_verify()

    assert status == 1
    assert out == ""
    assert err.strip().splitlines() == [
        "CommandError: Audit chain broken at event #12: its content does not match its hash "
        "(11 events before it verified)."
    ]


def test_an_event_deleted_from_the_middle_fails_and_is_named(activity, audit_verify, tamper):
    tamper(f"DELETE FROM {EVENTS} WHERE sequence = %s", [25])

    status, _, err = audit_verify()

    assert status == 1
    assert "broken at event #25: event missing from the sequence" in err


def test_a_truncated_tail_fails_and_names_the_first_missing_event(activity, audit_verify, tamper):
    tamper(f"DELETE FROM {EVENTS} WHERE sequence > %s", [activity - 3])

    status, _, err = audit_verify()

    assert status == 1
    assert f"broken at event #{activity - 2}: event missing from the end of the chain" in err


def test_a_forged_event_with_a_recomputed_hash_breaks_the_link_to_the_next(
    activity, audit_verify, tamper
):
    forged = AuditEvent.objects.filter(sequence=10).values(*CHAINED_FIELDS).get()
    forged["actor_label"] = "mallory"
    tamper(
        f"UPDATE {EVENTS} SET actor_label = %s, hash = %s WHERE sequence = 10",
        ["mallory", event_hash(forged)],
    )

    status, _, err = audit_verify()

    assert status == 1
    assert "broken at event #11: does not follow the event before it" in err


def test_a_chunk_size_below_one_is_a_clear_error(capsys):
    with pytest.raises(Exception, match="--chunk-size must be at least 1"):
        call_command("audit_verify", "--chunk-size", "0")
