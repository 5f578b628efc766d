"""What SCIM authentication writes goes through scim_clients: the client's last use (no
event, at most once a minute) and each refusal (an event). Query counts pinned: this runs
on every SCIM request."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action, Outcome
from provisioning.models import ScimClient
from provisioning.services.scim_clients import scim_auth_refused, scim_client_use_record
from tests.provisioning.scim.conftest import assert_scim_error

pytestmark = pytest.mark.django_db


def writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].lstrip().upper().startswith("SELECT")]


def test_a_first_use_is_one_update(scim):
    with CaptureQueriesContext(connection) as captured:
        recorded = scim_client_use_record(
            client=scim.client, address="192.0.2.7", now=timezone.now()
        )

    assert recorded
    assert len(captured) == 1
    assert writes(captured)[0].startswith('UPDATE "provisioning_scimclient"')
    assert ScimClient.objects.get(pk=scim.client.pk).last_used_address == "192.0.2.7"


def test_a_use_within_the_minute_from_the_same_address_writes_nothing(scim):
    now = timezone.now()
    scim_client_use_record(client=scim.client, address="192.0.2.7", now=now)

    with CaptureQueriesContext(connection) as captured:
        recorded = scim_client_use_record(
            client=scim.client, address="192.0.2.7", now=now + timedelta(seconds=30)
        )

    assert not recorded
    assert len(captured) == 0


def test_a_use_from_another_address_is_recorded_at_once(scim):
    now = timezone.now()
    scim_client_use_record(client=scim.client, address="192.0.2.7", now=now)

    assert scim_client_use_record(
        client=scim.client, address="192.0.2.8", now=now + timedelta(seconds=1)
    )
    assert ScimClient.objects.get(pk=scim.client.pk).last_used_address == "192.0.2.8"


def test_a_use_records_no_event(scim):
    before = AuditEvent.objects.count()

    scim_client_use_record(client=scim.client, address="192.0.2.7", now=timezone.now())

    assert AuditEvent.objects.count() == before


def test_a_refusal_is_recorded_denied_with_its_reason(scim, actor):
    scim_auth_refused(actor=actor, client=scim.client, reason="expired")

    event = AuditEvent.objects.get(action=Action.SCIM_AUTH_FAILED)
    assert event.outcome == Outcome.DENIED
    assert event.target_id == str(scim.client.pk)
    assert event.data == {"reason": "expired"}


def test_the_first_authenticated_request_reads_the_token_and_records_the_use_once(scim):
    with CaptureQueriesContext(connection) as captured:
        assert scim.get("ServiceProviderConfig").status_code == 200

    assert len(captured) == 2  # the token with its client, then the last use
    assert len(writes(captured)) == 1


def test_a_refused_token_costs_a_fixed_number_of_queries(scim):
    scim.get("ServiceProviderConfig")  # the audit chain and the client's key exist
    refused = type(scim)(f"{scim.token}x", scim.client)

    with CaptureQueriesContext(connection) as captured:
        assert_scim_error(refused.get("Users"), 401)

    # the token, then the event appended (the database seals it into the chain at commit)
    assert len(captured) == 2
