"""The leaver, and the invariant: an inactive person never holds an active grant."""

import datetime as dt
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.urls import reverse

from portal import roles
from provisioning import tasks
from provisioning.errors import InactivePersonError
from provisioning.models import AccessGrant, AccessRequest, Person, ScheduledOffboarding
from provisioning.services.access import grant_create
from provisioning.services.lifecycle import person_offboard
from provisioning.services.persons import person_set_active
from tests.factories import AccessGrantFactory, PersonFactory, RoleFactory

pytestmark = pytest.mark.django_db


def inactive_people_with_active_grants() -> int:
    """The invariant, checked in one SQL query over the whole table."""
    return AccessGrant.objects.filter(status="active", person__active=False).count()


@pytest.fixture
def holder():
    person = PersonFactory()
    AccessGrantFactory.create_batch(3, person=person)
    return person


def test_the_leaver_revokes_every_grant_at_once(actor, holder):
    person_offboard(person=holder, actor=actor, reason="resigned")

    holder.refresh_from_db()
    assert not holder.active
    assert holder.deactivated_at is not None  # the retention clock starts here
    assert set(AccessGrant.objects.filter(person=holder).values_list("status", flat=True)) == {
        "revoked"
    }
    assert inactive_people_with_active_grants() == 0


def test_the_leaver_cancels_pending_requests(actor, holder, django_capture_on_commit_callbacks):
    from provisioning.services.requests import access_request
    from tests.factories import StaffUserFactory

    request = access_request(
        person=holder,
        role=RoleFactory(),
        requested_by=StaffUserFactory(),
        justification="project",
        duration=timedelta(days=5),
        actor=actor,
    )

    person_offboard(person=holder, actor=actor, reason="resigned")

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.CANCELLED
    assert not request.approvals.exclude(token_hash="").exists()


def test_a_future_leaver_is_scheduled_and_carried_out_on_the_date(actor, holder):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        person_offboard(
            person=holder, actor=actor, reason="contract ends", effective_on=dt.date(2026, 3, 31)
        )
        tasks.offboardings_due.delay()
        holder.refresh_from_db()
        assert holder.active

    with time_machine.travel(dt.datetime(2026, 3, 31, 0, 5, tzinfo=dt.UTC), tick=False):
        tasks.offboardings_due.delay()

    holder.refresh_from_db()
    assert not holder.active
    assert ScheduledOffboarding.objects.get().status == "done"
    assert inactive_people_with_active_grants() == 0


def test_an_inactive_person_cannot_be_granted_anything(actor):
    person = PersonFactory(active=False)

    with pytest.raises(InactivePersonError):
        grant_create(person=person, role=RoleFactory(), source="manual", actor=actor)


def test_deactivating_through_the_service_revokes_every_grant(actor, holder):
    person_set_active(person=holder, actor=actor, active=False)

    assert inactive_people_with_active_grants() == 0


def test_deactivating_through_the_admin_revokes_every_grant(staff_client_for, holder):
    client, _ = staff_client_for(roles.HR)
    url = reverse("admin:provisioning_person_change", args=[holder.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "active"}
    data["manager"] = ""
    data.update(
        {
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "phone_numbers-TOTAL_FORMS": "0",
            "phone_numbers-INITIAL_FORMS": "0",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302
    assert not Person.objects.get(pk=holder.pk).active
    assert inactive_people_with_active_grants() == 0


def test_a_reactivated_person_gets_only_birthright_back(actor, holder):
    person_set_active(person=holder, actor=actor, active=False)
    person_set_active(person=holder, actor=actor, active=True)

    assert not AccessGrant.objects.filter(person=holder, status="active").exists()


def check_deferred_constraints():
    """Run the checks PostgreSQL would run at commit (tests never commit)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgresql
def test_the_database_refuses_to_commit_an_inactive_holder_of_an_active_grant(holder):
    Person.objects.filter(pk=holder.pk).update(active=False)  # bypassing every service

    with pytest.raises(IntegrityError, match=r"inactive person|deactivated while holding"):
        check_deferred_constraints()


@pytest.mark.postgresql
def test_the_database_refuses_to_commit_an_active_grant_for_an_inactive_person():
    AccessGrantFactory(person=PersonFactory(active=False))

    with pytest.raises(IntegrityError, match="cannot hold an active grant"):
        check_deferred_constraints()


@pytest.mark.postgresql
def test_the_services_satisfy_the_database_check(actor, holder):
    person_set_active(person=holder, actor=actor, active=False)

    check_deferred_constraints()
