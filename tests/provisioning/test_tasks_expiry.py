"""Temporary access ends on time: the beat task expires grants, set-based, and holders and
owners are reminded once before."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning import tasks
from provisioning.connectors.models import Connector
from provisioning.connectors.services import connector_create
from provisioning.connectors.tasks import push_person
from provisioning.models import AccessGrant
from tests.factories import (
    AccessGrantFactory,
    ApplicationFactory,
    PersonEmailFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db


def test_the_expiry_task_runs_every_minute_by_default():
    assert settings.CELERY_BEAT_SCHEDULE["grants-expire"]["schedule"] == 60


def test_expired_grants_are_ended_and_recorded(actor):
    now = timezone.now()
    due = AccessGrantFactory(source="request", expires_at=now + timedelta(hours=1))
    later = AccessGrantFactory(source="request", expires_at=now + timedelta(days=2))
    permanent = AccessGrantFactory()

    with time_machine.travel(now + timedelta(hours=1, seconds=30), tick=False):
        assert tasks.grants_expire.delay().get() == 1

    statuses = dict(AccessGrant.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "expired", later.pk: "active", permanent.pk: "active"}
    event = AuditEvent.objects.get(action="grant.expired")
    assert (event.subject_id, event.data["grant"]) == (str(due.person_id), str(due.pk))


def expire_and_count_queries(batch):
    soon = timezone.now() + timedelta(minutes=1)
    AccessGrantFactory.create_batch(batch, source="request", expires_at=soon)
    with (
        time_machine.travel(soon + timedelta(seconds=1), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        assert tasks.grants_expire.delay().get() == batch
    return len(queries)


@pytest.mark.postgresql
def test_expiring_many_grants_costs_the_same_queries_as_one():
    assert expire_and_count_queries(40) == expire_and_count_queries(1) <= 12


def test_holder_and_owner_are_reminded_once_before_expiry(django_capture_on_commit_callbacks):
    role = RoleFactory(owner__email="owner@example.org")
    grant = AccessGrantFactory(
        role=role, source="request", expires_at=timezone.now() + timedelta(days=5)
    )
    PersonEmailFactory(person=grant.person, value="holder@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.grants_expiry_remind.delay().get() == 1
        assert tasks.grants_expiry_remind.delay().get() == 0

    (message,) = mail.outbox
    assert sorted(message.to) == ["holder@example.org", "owner@example.org"]
    assert AuditEvent.objects.filter(action="grant.expiry_reminded").count() == 1


def test_grants_ending_later_than_the_reminder_window_are_not_reminded():
    AccessGrantFactory(source="request", expires_at=timezone.now() + timedelta(days=8))

    assert tasks.grants_expiry_remind.delay().get() == 0


def test_an_expiry_run_reads_the_connectors_once_however_many_people_it_touches(
    actor, monkeypatch, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for name in ("Slack", "GitHub"):
        connector_create(
            actor=actor,
            connector=Connector(
                application_id=ApplicationFactory(name=name).pk,
                base_url="http://127.0.0.1:9/scim/v2",
                attributes=["userName"],
                scope=Connector.Scope.EVERYONE,
            ),
            secret="not-used",
        )
    soon = timezone.now() + timedelta(minutes=1)
    grants = AccessGrantFactory.create_batch(30, source="request", expires_at=soon)
    pushed = []
    # The relay hands each outbox message over by its task's apply_async.
    monkeypatch.setattr(
        push_person, "apply_async", lambda args, **options: pushed.append(tuple(args))
    )

    with (
        time_machine.travel(soon + timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks() as after_commit,
    ):
        tasks.grants_expire.delay().get()
    with django_assert_num_queries(1):
        for callback in after_commit:
            callback()

    assert len(pushed) == 2 * len(grants)
    assert {person for _, person in pushed} == {str(grant.person_id) for grant in grants}
