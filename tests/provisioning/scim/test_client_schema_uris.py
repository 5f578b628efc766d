"""Schema URIs that real clients list without sending attributes of their own are
accepted and ignored (quirks.MARKER_SCHEMAS); any other unknown extension is refused."""

import pytest

from provisioning.models import Group
from provisioning.scim.quirks import MARKER_SCHEMAS
from tests.provisioning.scim.conftest import GROUP_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db

ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
# Microsoft's "Create Group" request, as its SCIM tutorial documents it.
ENTRA_CREATE_GROUP = {
    "schemas": [GROUP_SCHEMA, ADSCIM_GROUP],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}


def test_every_ignored_uri_names_its_source():
    assert ADSCIM_GROUP in MARKER_SCHEMAS
    assert all("http" in source for source in MARKER_SCHEMAS.values())


def test_entra_creates_a_group_with_its_adscim_schema_uri(scim):
    response = scim.post("Groups", ENTRA_CREATE_GROUP)

    assert response.status_code == 201, response.content
    assert response.json()["schemas"] == [GROUP_SCHEMA]
    group = Group.objects.get(external_id="8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
    assert group.display_name == "displayName"


def test_entra_replaces_a_group_with_its_adscim_schema_uri(scim):
    group_id = scim.post("Groups", ENTRA_CREATE_GROUP).json()["id"]

    response = scim.put(f"Groups/{group_id}", {**ENTRA_CREATE_GROUP, "displayName": "Renamed"})

    assert response.status_code == 200, response.content
    assert Group.objects.get(pk=group_id).display_name == "Renamed"


def test_the_uri_is_refused_when_the_payload_carries_attributes_under_it(scim):
    body = {**ENTRA_CREATE_GROUP, ADSCIM_GROUP: {"mailNickname": "sales"}}

    assert_scim_error(scim.post("Groups", body), 400)
    assert not Group.objects.exists()


def test_an_unlisted_schema_uri_is_still_refused(scim):
    body = {**ENTRA_CREATE_GROUP, "schemas": [GROUP_SCHEMA, "urn:example:params:marker"]}

    assert_scim_error(scim.post("Groups", body), 400)
    assert not Group.objects.exists()
