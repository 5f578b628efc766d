"""A resolved token is reused from the cache, and a revocation or a disabled client still
takes effect with the very next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from provisioning.services.scim_clients import scim_client_update, scim_token_revoke
from tests.provisioning.scim.conftest import USER_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db


def token_reads(scim, path="ServiceProviderConfig"):
    with CaptureQueriesContext(connection) as captured:
        assert scim.get(path).status_code == 200
    return [q["sql"] for q in captured if 'FROM "provisioning_scimtoken"' in q["sql"]]


def test_a_known_token_is_not_read_from_the_database_again(scim):
    assert token_reads(scim)

    assert token_reads(scim) == []


def test_a_get_with_a_known_token_writes_nothing(scim):
    scim.get("ServiceProviderConfig")  # the client's last use is recorded once

    with CaptureQueriesContext(connection) as captured:
        assert scim.get("Users").status_code == 200

    assert not [q for q in captured if not q["sql"].lstrip().upper().startswith("SELECT")]


def test_revoking_a_known_token_refuses_the_next_request(scim, actor):
    assert scim.get("Users").status_code == 200

    scim_token_revoke(token=scim.client.tokens.get(), actor=actor)

    assert_scim_error(scim.get("Users"), 401)


def test_disabling_the_client_of_a_known_token_refuses_the_next_request(scim, actor):
    assert scim.get("Users").status_code == 200

    scim_client_update(client=scim.client, actor=actor, changes={"enabled": False})

    assert_scim_error(scim.get("Users"), 401)


def user_attributes(scim):
    response = scim.get(f"Schemas/{USER_SCHEMA}")
    assert response.status_code == 200
    return {attribute["name"] for attribute in response.json()["attributes"]}


def test_a_new_profile_applies_to_the_next_request(scim, actor):
    assert "title" in user_attributes(scim)

    scim_client_update(client=scim.client, actor=actor, changes={"profile": "minimal"})

    assert "title" not in user_attributes(scim)
