"""Each alert rule, fed with events recorded through the audit service, evaluated by the
Celery tasks that beat runs."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent, ChainHead
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind, Channel, Outcome
from compliance.incidents.models import Incident
from compliance.incidents.rules import Window, mass_deprovisioning
from compliance.tasks import evaluate_alert_rules, verify_audit_chain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.ALERT_MASS_DEPROVISIONING_COUNT = 3
    settings.ALERT_MASS_DEPROVISIONING_MINUTES = 10
    settings.ALERT_SCIM_AUTH_FAILURE_COUNT = 4
    settings.ALERT_SCIM_AUTH_FAILURE_MINUTES = 5


def deactivate(actor, times):
    for _ in range(times):
        person = str(uuid.uuid4())
        event_record(
            actor=actor,
            action=Action.PERSON_DEACTIVATED,
            target=("provisioning.person", person),
            subject_id=person,
        )


def scim_client(identifier="client-1"):
    return Actor(
        kind=ActorKind.SCIM_CLIENT,
        identifier=identifier,
        label="Okta",
        channel=Channel.SCIM,
        client_address="192.0.2.10",
    )


def auth_failures(times, *, reason="invalid_token", client="client-1"):
    for _ in range(times):
        event_record(
            actor=scim_client(client),
            action=Action.SCIM_AUTH_FAILED,
            target=("provisioning.scimclient", client),
            data={"reason": reason},
            outcome=Outcome.DENIED,
        )


def grant(actor, source):
    event_record(
        actor=actor,
        action=Action.GRANT_CREATED,
        target=("provisioning.accessgrant", str(uuid.uuid4())),
        data={"source": source, "entitlement": str(uuid.uuid4())},
    )


def incidents(kind):
    return list(Incident.objects.filter(kind=kind))


# (b) mass deprovisioning


def test_more_than_n_leavers_in_the_window_raise_mass_deprovisioning(actor):
    deactivate(actor, 4)

    assert evaluate_alert_rules.delay().get() == 1

    (incident,) = incidents(Incident.Kind.MASS_DEPROVISIONING)
    assert incident.details["events_in_window"] == 4
    assert incident.details["window_minutes"] == 10
    assert incident.severity == Incident.Severity.CRITICAL


def test_n_leavers_are_not_an_incident(actor):
    deactivate(actor, 3)

    evaluate_alert_rules.delay()

    assert not incidents(Incident.Kind.MASS_DEPROVISIONING)


def test_leavers_older_than_the_window_do_not_count(actor):
    deactivate(actor, 4)
    latest = AuditEvent.objects.order_by("-sequence").first()
    later = Window(since=0, upto=latest.sequence, now=timezone.now() + timedelta(minutes=11))

    assert mass_deprovisioning(later) == []


def test_an_evaluation_with_no_new_leavers_raises_nothing_again(actor):
    deactivate(actor, 4)
    evaluate_alert_rules.delay()
    Incident.objects.update(status="closed", closed_at=timezone.now())

    assert evaluate_alert_rules.delay().get() == 0
    assert len(incidents(Incident.Kind.MASS_DEPROVISIONING)) == 1


# (c) burst of SCIM authentication failures


def test_a_burst_of_scim_authentication_failures_raises_an_incident():
    auth_failures(3, client="client-1")
    auth_failures(2, client="client-2")

    evaluate_alert_rules.delay()

    (incident,) = incidents(Incident.Kind.SCIM_AUTH_FAILURES)
    assert incident.details["events_in_window"] == 5
    assert incident.details["distinct_actors"] == 2
    assert "192.0.2.10" not in str(incident.details)  # addresses are personal data


def test_a_few_scim_failures_are_not_a_burst():
    auth_failures(4)

    evaluate_alert_rules.delay()

    assert not incidents(Incident.Kind.SCIM_AUTH_FAILURES)


# (d) access granted outside requests and templates


def test_a_manual_grant_raises_an_incident_naming_the_grant(actor):
    grant(actor, "request")
    grant(actor, "template")
    grant(actor, "manual")

    evaluate_alert_rules.delay()

    (incident,) = incidents(Incident.Kind.ACCESS_OUTSIDE_PROCESS)
    manual = AuditEvent.objects.get(action="grant.created", data__source="manual")
    assert incident.details["grant_ids"] == [manual.target_id]
    assert incident.details["count"] == 1


def test_grants_from_requests_and_templates_raise_nothing(actor):
    grant(actor, "request")
    grant(actor, "template")

    evaluate_alert_rules.delay()

    assert not Incident.objects.exists()


def test_manual_grants_by_one_granter_group_into_one_finding_counted_once(actor):
    grant(actor, "manual")
    evaluate_alert_rules.delay()
    evaluate_alert_rules.delay()
    grant(actor, "manual")
    evaluate_alert_rules.delay()

    (finding,) = incidents(Incident.Kind.ACCESS_OUTSIDE_PROCESS)
    assert finding.details["count"] == 2
    assert len(finding.details["grant_ids"]) == 2
    assert finding.occurrences == 2
    assert finding.stage == Incident.Stage.FINDING


# (e) a disabled SCIM client still trying


def test_a_disabled_client_still_trying_raises_one_incident_per_client():
    auth_failures(2, reason="client_disabled", client="client-9")
    auth_failures(1, reason="invalid_token", client="client-3")

    evaluate_alert_rules.delay()
    auth_failures(1, reason="client_disabled", client="client-9")
    evaluate_alert_rules.delay()

    (incident,) = incidents(Incident.Kind.DISABLED_SCIM_CLIENT)
    assert incident.details["client"] == "client-9"
    assert (incident.details["count"], incident.occurrences) == (3, 2)
    assert incident.dedupe_key == "client:client-9"


# (a) broken audit chain


def test_an_intact_chain_raises_nothing(actor):
    deactivate(actor, 2)

    result = verify_audit_chain.delay().get()

    assert result["first_broken"] is None
    assert not Incident.objects.exists()


def test_a_broken_chain_raises_a_critical_incident_naming_the_event(actor):
    deactivate(actor, 2)
    last = AuditEvent.objects.order_by("-sequence").first()
    assert last is not None
    assert last.sequence is not None
    # A forged event appended behind the services' back: inserting needs no UPDATE, so it
    # gets past the append-only guards, and the chain check must catch it.
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                sequence=last.sequence + 1,
                occurred_at=last.occurred_at,
                actor_kind="system",
                actor_id="forger",
                actor_label="forger",
                channel="cli",
                action="person.deleted",
                target_type="provisioning.person",
                target_id="x",
                previous_hash="f" * 64,
                hash="e" * 64,
            )
        ]
    )
    ChainHead.objects.update(sequence=last.sequence + 1, hash="e" * 64)

    result = verify_audit_chain.delay().get()
    verify_audit_chain.delay()

    assert result["first_broken"] == last.sequence + 1
    (incident,) = incidents(Incident.Kind.BROKEN_AUDIT_CHAIN)
    assert incident.severity == Incident.Severity.CRITICAL
    assert incident.details["first_broken"] == last.sequence + 1
    assert str(last.sequence + 1) in incident.summary


def test_the_beat_schedule_runs_the_rules_every_minute_and_the_chain_check_daily(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["compliance.evaluate_alert_rules"]["schedule"] == timedelta(minutes=1)
    assert schedule["compliance.verify_audit_chain"]["schedule"] == timedelta(days=1)


def test_an_evaluation_costs_the_same_queries_however_many_events(
    actor, django_assert_max_num_queries
):
    evaluate_alert_rules.delay()
    deactivate(actor, 2)
    grant(actor, "request")
    auth_failures(3)

    # savepoint, watermark (2), head, one query per rule, watermark update, release
    with django_assert_max_num_queries(10):
        assert evaluate_alert_rules.delay().get() == 0
