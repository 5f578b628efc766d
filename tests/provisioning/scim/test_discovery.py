"""Discovery endpoints, /Me, unknown routes and .search."""

import pytest

from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import ENTERPRISE, USER_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db


def test_service_provider_config_advertises_the_limits(scim, settings):
    settings.SCIM_MAX_BULK_OPERATIONS = 7

    body = scim.get("ServiceProviderConfig").json()

    assert body["patch"]["supported"] is True
    assert body["bulk"] == {"supported": True, "maxOperations": 7, "maxPayloadSize": 1048576}
    assert body["etag"]["supported"] is True
    assert body["filter"]["maxResults"] == settings.SCIM_MAX_RESULTS
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_list_users_with_the_enterprise_extension_and_groups(scim):
    body = scim.get("ResourceTypes").json()

    by_id = {r["id"]: r for r in body["Resources"]}
    assert by_id["User"]["schemaExtensions"][0]["schema"] == ENTERPRISE
    assert by_id["Group"]["endpoint"] == "/Groups"
    assert scim.get("ResourceTypes/Group").json()["name"] == "Group"
    assert_scim_error(scim.get("ResourceTypes/Pet"), 404)


def test_one_schema_by_id(scim):
    body = scim.get(f"Schemas/{USER_SCHEMA}").json()

    assert body["id"] == USER_SCHEMA
    assert_scim_error(scim.get("Schemas/urn:nothing"), 404)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["ServiceProviderConfig", "ResourceTypes", "Schemas"])
def test_writes_to_discovery_endpoints_are_405(scim, method, path):
    response = scim.call(method, path, {"schemas": []})

    assert_scim_error(response, 405)


def test_me_is_501(scim):
    assert_scim_error(scim.get("Me"), 501)


def test_an_unknown_route_is_a_scim_404(scim):
    assert_scim_error(scim.get("Pets"), 404)
    assert_scim_error(scim.post("Users/x/y", {}), 404)


def test_users_search_by_post(scim):
    PersonFactory(user_name="alice@example.org")
    PersonFactory(user_name="bob@example.org")

    response = scim.post(
        "Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "bob@example.org"',
            "attributes": ["userName"],
            "startIndex": 1,
            "count": 10,
        },
    )

    assert response.status_code == 200, response.content
    assert [r["userName"] for r in response.json()["Resources"]] == ["bob@example.org"]


def test_groups_search_by_post(scim):
    GroupFactory(display_name="Sales")

    response = scim.post(
        "Groups/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName eq "Sales"',
        },
    )

    assert response.json()["totalResults"] == 1


def test_root_search_spans_users_and_groups(scim):
    PersonFactory(external_id="same")
    GroupFactory(external_id="same")
    GroupFactory(external_id="other")

    response = scim.post(
        ".search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'externalId eq "same"',
        },
    )

    body = response.json()
    assert body["totalResults"] == 2
    assert {r["meta"]["resourceType"] for r in body["Resources"]} == {"User", "Group"}


def test_root_search_pages_across_the_types(scim):
    PersonFactory.create_batch(2)
    GroupFactory.create_batch(2)

    body = scim.post(
        ".search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "startIndex": 2,
            "count": 2,
        },
    ).json()

    assert body["totalResults"] == 4
    assert [r["meta"]["resourceType"] for r in body["Resources"]] == ["User", "Group"]
