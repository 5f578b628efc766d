"""Replays of the requests identity providers document, through the Django test client with
a real bearer token issued to a `directory`-agreement client, as an admin would set it up."""

import uuid
from typing import Any

import pytest

from tests.provisioning.scim.conftest import ScimBrowser

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


@pytest.fixture
def entra(make_scim: Any) -> ScimBrowser:
    browser: ScimBrowser = make_scim("Entra ID", "directory", "strict")
    return browser


@pytest.fixture
def okta(make_scim: Any) -> ScimBrowser:
    browser: ScimBrowser = make_scim("Okta", "directory", "strict")
    return browser


def guid() -> str:
    return str(uuid.uuid4())


def body_of(response: Any) -> dict[str, Any]:
    """The JSON object of a response; a failed assertion names the status if there is none."""
    assert response.content, f"empty body (HTTP {response.status_code})"
    body = response.json()
    assert isinstance(body, dict), body
    return body


def scim_content_type(response: Any) -> bool:
    return str(response["Content-Type"]).startswith("application/scim+json")
