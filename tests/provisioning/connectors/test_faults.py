"""Faults against the real downstream: it is stopped, it conflicts, it retries."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from portal.celery import app as celery_app
from portal.roles import IT
from provisioning.connectors.errors import DownstreamUnavailable
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.connectors.tasks import push_person
from provisioning.services import persons
from tests.factories import PersonEmailFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_retries():
    """Eager tasks run their retries at once, one after the other, instead of raising the
    first Retry to the caller: the whole backoff sequence plays out without waiting."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def test_pushes_retry_while_the_downstream_is_down_and_succeed_once_it_is_back(
    actor, connector, running_server, downstream
):
    person = PersonFactory()
    running_server.stop()

    # The worker's attempts, driven one by one: each failure is recorded and re-raised
    # for Celery's autoretry to schedule the next attempt.
    for _ in range(2):
        with pytest.raises(DownstreamUnavailable):
            push_person(str(connector.pk), str(person.pk))
    account = DownstreamAccount.objects.get(person_id=person.pk)
    assert (account.status, account.attempts) == (DownstreamAccount.Status.RETRYING, 2)
    assert "ConnectError" in account.last_error

    running_server.start()
    push_person(str(connector.pk), str(person.pk))

    account.refresh_from_db()
    assert (account.status, account.attempts, account.last_error) == ("healthy", 0, "")
    assert downstream.user(account.downstream_id)["userName"] == person.user_name


def test_after_the_retries_run_out_the_push_is_dead_lettered_and_it_can_be_retried_from_the_admin(
    actor,
    connector,
    running_server,
    downstream,
    staff_client_for,
    django_capture_on_commit_callbacks,
    eager_retries,
):
    running_server.stop()
    with django_capture_on_commit_callbacks(execute=True):  # eager: every retry runs now
        person = persons.person_create(
            actor=actor, fields={"user_name": f"grace-{uuid.uuid4().hex[:8]}@example.org"}
        )
    account = DownstreamAccount.objects.get(person=person)
    assert account.status == DownstreamAccount.Status.DEAD_LETTERED
    assert account.attempts == settings.OUTBOUND_MAX_RETRIES + 1

    running_server.start()
    client, _ = staff_client_for(IT)
    changelist = reverse("admin:provisioning_downstreamaccount_changelist")
    listed = client.get(changelist, {"status__exact": "dead-lettered"})
    assert person.user_name in listed.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist, {"action": "retry_pushes", "_selected_action": [account.pk]}
        )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == DownstreamAccount.Status.HEALTHY
    assert downstream.user(account.downstream_id)["userName"] == person.user_name


def test_a_conflict_on_create_is_resolved_by_lookup_not_duplication(
    actor, connector, downstream, django_capture_on_commit_callbacks
):
    user_name = f"linus-{uuid.uuid4().hex[:8]}@example.org"
    # Someone made the account downstream by hand, without the portal's externalId.
    existing = downstream.send(
        "POST",
        "/Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name},
    )

    with django_capture_on_commit_callbacks(execute=True):
        person = persons.person_create(
            actor=actor, fields={"user_name": user_name, "display_name": "Linus"}
        )

    account = DownstreamAccount.objects.get(person=person)
    found = downstream.users(f'userName eq "{user_name}"')
    assert [u["id"] for u in found] == [existing["id"]] == [account.downstream_id]
    assert (found[0]["externalId"], found[0]["displayName"]) == (str(person.pk), "Linus")


def test_a_disabled_connector_pushes_nothing(actor, running_server, downstream, connector):
    Connector.objects.filter(pk=connector.pk).update(enabled=False)
    person = PersonFactory()

    push_person(str(connector.pk), str(person.pk))

    assert downstream.users(f'userName eq "{person.user_name}"') == []


def test_data_that_does_not_fit_the_scim_schema_is_dead_lettered_without_quoting_it(
    actor, connector, downstream
):
    person = PersonFactory()
    PersonEmailFactory(person=person, value="ops@intranet")

    assert push_person(str(connector.pk), str(person.pk)) == "dead-lettered"

    account = DownstreamAccount.objects.get(person_id=person.pk)
    assert account.last_error == "not valid SCIM: emails.0.value"
    assert downstream.users(f'userName eq "{person.user_name}"') == []
