"""Okta's SCIM 2.0 SPEC test (`Okta-SCIM-20-SPEC-Test.json`, okta/okta-developer-docs), step
by step: the same requests (method, URL, headers Okta's runner sends, bodies) and the same
assertions. Its variables are generated as its initial script generates them."""

import time
from typing import Any

import pytest
from django.test import Client

from tests.provisioning.scim.clients.conftest import ERROR, LIST_RESPONSE, body_of
from tests.provisioning.scim.conftest import BASE, USER_SCHEMA, ScimBrowser

pytestmark = pytest.mark.django_db

# Initial_Script_Spec: "Runscope" + 3 digits; a capital, 8 letters, 3 digits; @atko.com.
GIVEN_NAME = "Runscope417"
FAMILY_NAME = "Qxbrtmvla208"
EMAIL = f"{GIVEN_NAME}{FAMILY_NAME}@atko.com"
USER_NAME = EMAIL
INVALID_USER_EMAIL = "abcdefgh@atko.com"
USER_ID_THAT_DOES_NOT_EXIST = "010101001010101011001010101011"

# The headers of the runner's GETs, and of its POSTs (which send application/json).
READ_HEADERS = {
    "Accept": "application/scim+json",
    "Accept-Charset": "utf-8",
    "User-Agent": "OKTA SCIM Integration",
}
WRITE_HEADERS = {"Accept": "application/scim+json; charset=utf-8"}


def okta_get(okta: ScimBrowser, path: str, authorization: str | None = None) -> Any:
    http = okta.http if authorization is None else Client(HTTP_AUTHORIZATION=authorization)
    return http.get(
        f"{BASE}/{path}",
        headers=READ_HEADERS,
        CONTENT_TYPE="application/scim+json; charset=utf-8",
    )


def create_request(user_name: str = USER_NAME, email: str = EMAIL) -> dict[str, Any]:
    """Step "Create Okta user with realistic values" (the recreate step sends userName as
    the e-mail)."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": GIVEN_NAME, "familyName": FAMILY_NAME},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": f"{GIVEN_NAME} {FAMILY_NAME}",
        "active": True,
    }


def okta_post(okta: ScimBrowser, payload: dict[str, Any]) -> Any:
    return okta.post("Users", payload, content_type="application/json", **WRITE_HEADERS)


@pytest.fixture
def existing_user(okta: ScimBrowser) -> dict[str, Any]:
    """The runner is pointed at an app that already holds users: one, pushed by Okta."""
    response = okta_post(okta, create_request("existing.user@atko.com", "existing.user@atko.com"))
    assert response.status_code == 201, response.content
    return body_of(response)


def test_users_endpoint(okta, existing_user):
    """Required Test: Test Users endpoint."""
    response = okta_get(okta, "Users?count=1&startIndex=1")

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["Resources"]
    assert LIST_RESPONSE in body["schemas"]
    assert all(isinstance(body[key], int) for key in ("itemsPerPage", "startIndex", "totalResults"))
    user = body["Resources"][0]
    assert user["id"]
    assert user["name"]["familyName"]
    assert user["name"]["givenName"]
    assert user["userName"]
    assert user["active"] is not None
    assert user["emails"][0]["value"]


def test_get_user_by_id(okta, existing_user):
    """Required Test: Get Users/{{id}} (the id read from the first step)."""
    listed = body_of(okta_get(okta, "Users?count=1&startIndex=1"))["Resources"][0]["id"]

    response = okta_get(okta, f"Users/{listed}")

    assert response.status_code == 200, response.content
    user = body_of(response)
    assert user["id"] == listed
    assert user["name"]["familyName"]
    assert user["name"]["givenName"]
    assert user["userName"]
    assert user["active"] is not None
    assert user["emails"][0]["value"]


def test_invalid_user_by_username(okta, existing_user):
    """Required Test: Test invalid User by username."""
    response = okta_get(okta, f'Users?filter=userName eq "{INVALID_USER_EMAIL}"')

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert LIST_RESPONSE in body["schemas"]
    assert body["totalResults"] == 0


def test_invalid_user_by_id(okta, existing_user):
    """Required Test: Test invalid User by ID."""
    response = okta_get(okta, f"Users/{USER_ID_THAT_DOES_NOT_EXIST}")

    assert response.status_code == 404
    body = body_of(response)
    assert body["detail"]
    assert ERROR in body["schemas"]


def test_random_user_does_not_exist(okta, existing_user):
    """Required Test: Make sure random user doesn't exist."""
    response = okta_get(okta, f'Users?filter=userName eq "{EMAIL}"')

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["totalResults"] == 0
    assert LIST_RESPONSE in body["schemas"]


def test_create_user_with_realistic_values(okta):
    """Required Test: Create Okta user with realistic values."""
    response = okta_post(okta, create_request())

    assert response.status_code == 201, response.content
    user = body_of(response)
    assert user["active"] is True
    assert user["id"]
    assert user["name"]["familyName"] == FAMILY_NAME
    assert user["name"]["givenName"] == GIVEN_NAME
    assert USER_SCHEMA in user["schemas"]
    assert user["userName"] == USER_NAME
    assert user["emails"][0]["value"] == EMAIL


def test_verify_that_user_was_created(okta):
    """Required Test: Verify that user was created."""
    created = body_of(okta_post(okta, create_request()))

    response = okta_get(okta, f"Users/{created['id']}")

    assert response.status_code == 200, response.content
    user = body_of(response)
    assert user["userName"] == USER_NAME
    assert user["name"]["familyName"] == FAMILY_NAME
    assert user["name"]["givenName"] == GIVEN_NAME


def test_recreating_the_user_with_the_same_values_is_a_conflict(okta):
    """Required Test: Expect failure when recreating user with same values."""
    assert okta_post(okta, create_request()).status_code == 201

    response = okta_post(okta, create_request(USER_NAME, USER_NAME))

    assert response.status_code == 409


def test_username_case_sensitivity_check(okta):
    """Required Test: Username Case Sensitivity Check."""
    assert okta_post(okta, create_request()).status_code == 201

    response = okta_get(okta, f'Users?filter=userName eq "{USER_NAME.upper()}"')

    assert response.status_code == 200, response.content


def test_groups_endpoint(okta, existing_user):
    """Optional Test: Verify Groups endpoint (200 within 600 ms; Resources an array when
    there are groups)."""
    okta.post("Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                         "displayName": "Test SCIMv2", "members": []})  # fmt: skip
    started = time.monotonic()

    response = okta_get(okta, "Groups")

    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 0.6
    body = body_of(response)
    assert body["totalResults"] >= 1
    assert isinstance(body["Resources"], list)


def test_status_401_for_a_request_without_a_valid_token(okta, existing_user):
    """Required Test: Check status 401 (Authorization: "non-token")."""
    response = okta_get(okta, f'Users?filter=userName eq "{USER_NAME.upper()}"', "non-token")

    assert response.status_code == 401
    body = body_of(response)
    assert body["detail"]
    assert str(body["status"]) == "401"
    assert ERROR in body["schemas"]


def test_status_404_for_a_user_that_does_not_exist(okta, existing_user):
    """Required Test: Check status 404."""
    response = okta_get(okta, "Users/00919288221112222")

    assert response.status_code == 404
    body = body_of(response)
    assert body["detail"]
    assert str(body["status"]) == "404"
    assert ERROR in body["schemas"]
