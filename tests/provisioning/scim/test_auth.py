"""Bearer tokens: 401 with WWW-Authenticate and a SCIM body, failures recorded and
throttled, rotation without downtime."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning.models import ScimClient
from provisioning.services.scim_clients import scim_token_issue, scim_token_revoke
from tests.provisioning.scim.conftest import ScimBrowser, assert_scim_error

pytestmark = pytest.mark.django_db


def anonymous(token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().get("/scim/v2/Users", headers=headers)


def test_no_token_is_401_with_a_bearer_challenge():
    response = anonymous()

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_401_and_recorded_with_the_address(scim):
    prefix = scim.token.partition(".")[0]

    response = anonymous(f"{prefix}.wrong")

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    event = AuditEvent.objects.get(action="scim.auth_failed")
    assert event.data == {"reason": "bad_token"}
    assert event.client_address == "127.0.0.1"


def test_a_revoked_token_is_401(scim, actor):
    scim_token_revoke(token=scim.client.tokens.get(), actor=actor)

    assert_scim_error(scim.get("Users"), 401)


def test_a_disabled_client_is_401(scim):
    ScimClient.objects.filter(pk=scim.client.pk).update(enabled=False)

    assert_scim_error(scim.get("Users"), 401)
    assert AuditEvent.objects.get(action="scim.auth_failed").data == {"reason": "client_disabled"}


def test_an_expired_client_is_401(scim):
    ScimClient.objects.filter(pk=scim.client.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert_scim_error(scim.get("Users"), 401)
    assert AuditEvent.objects.get(action="scim.auth_failed").data == {"reason": "expired"}


def test_old_and_new_tokens_work_together_until_the_old_is_revoked(scim, actor):
    old = scim.client.tokens.get()
    new = ScimBrowser(scim_token_issue(client=scim.client, actor=actor).secret, scim.client)

    assert scim.get("Users").status_code == 200
    assert new.get("Users").status_code == 200
    scim_token_revoke(token=old, actor=actor)
    assert scim.get("Users").status_code == 401
    assert new.get("Users").status_code == 200


def test_repeated_failures_from_one_address_are_throttled(scim, settings):
    settings.SCIM_AUTH_FAILURE_LIMIT = 3
    for _ in range(3):
        assert anonymous("abc.def").status_code == 401

    response = anonymous("abc.def")

    assert_scim_error(response, 429)
    assert response["Retry-After"] == str(settings.SCIM_AUTH_FAILURE_WINDOW_SECONDS)
    assert_scim_error(anonymous(), 429)  # nor without a token
    assert AuditEvent.objects.filter(action="scim.auth_failed").count() == 3


def test_a_valid_token_is_served_from_an_address_that_others_got_throttled(scim, settings):
    settings.SCIM_AUTH_FAILURE_LIMIT = 3
    for _ in range(5):
        anonymous("abc.def")
    assert_scim_error(anonymous("abc.def"), 429)

    assert scim.get("Users").status_code == 200
    assert_scim_error(anonymous(f"{scim.token}x"), 429)  # a near miss is still a failure


def test_success_records_last_use_at_most_once_a_minute(scim):
    scim.get("Users")
    scim.client.refresh_from_db()
    first = scim.client.last_used_at
    assert scim.client.last_used_address == "127.0.0.1"

    with time_machine.travel(first + timedelta(seconds=30)):
        scim.get("Users")
    scim.client.refresh_from_db()
    assert scim.client.last_used_at == first

    with time_machine.travel(first + timedelta(minutes=2)):
        scim.get("Users")
    scim.client.refresh_from_db()
    assert scim.client.last_used_at > first


def test_a_request_without_a_client_address_still_authenticates(scim):
    response = scim.http.get("/scim/v2/Users", REMOTE_ADDR="")

    assert response.status_code == 200
    scim.client.refresh_from_db()
    assert scim.client.last_used_address is None
