"""The root causes the bounded fuzz found, one by one: each answers a SCIM 4xx naming the
problem, where it used to answer 500 (on SQLite, PostgreSQL or both)."""

import json
from typing import Any
from urllib.parse import quote

import pytest

from provisioning.scim.renderers import ScimJSONRenderer
from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import USER_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def bulk(*operations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schemas": [BULK_REQUEST], "Operations": list(operations), **extra}


def spliced(payload: Any, raw: str) -> str:
    """`payload` as JSON with the string "@" replaced by `raw`, JSON text that no Python
    value serialises to (a lone surrogate escape, a number out of range, deep nesting)."""
    return json.dumps(payload).replace('"@"', raw)


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_a_start_index_beyond_any_database_integer_is_an_empty_page(scim, resource):
    PersonFactory(), GroupFactory()

    response = scim.get(f"{resource}?startIndex=99999999999999999999")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["totalResults"], body["Resources"]) == (1, [])


def test_a_start_index_beyond_any_database_integer_in_a_search_is_an_empty_page(scim):
    PersonFactory()

    response = scim.post(".search", {"startIndex": 10**30})

    assert response.status_code == 200, response.content
    assert response.json()["Resources"] == []


@pytest.mark.parametrize("text", ["\\ud800", "a\\udfffb", "\\u0000", "x\\u0000"])
def test_a_lone_surrogate_or_a_nul_in_a_body_is_400(scim, text):
    body = spliced({"schemas": [USER_SCHEMA], "userName": "@"}, f'"{text}"')

    body = assert_scim_error(scim.call("post", "Users", body), 400, "invalidValue")

    assert "userName" in body["detail"]


def test_a_lone_surrogate_in_a_search_filter_is_400(scim):
    body = spliced({"filter": "@"}, '"userName eq \\"\\ud800\\""')

    response = scim.call("post", "Users/.search", body)

    assert_scim_error(response, 400, "invalidValue")


def test_a_lone_surrogate_as_a_bulk_id_is_a_scim_error_not_an_html_page(scim):
    operation = {"method": "POST", "path": "/Users", "bulkId": "@", "data": {"userName": "x"}}
    body = spliced(bulk(operation), '"\\ud800"')

    body = assert_scim_error(scim.call("post", "Bulk", body), 400, "invalidValue")

    assert "Operations[0].bulkId" in body["detail"]


def test_a_surrogate_pair_is_text_like_any_other(scim):
    body = spliced({"schemas": [USER_SCHEMA], "userName": "@"}, '"smile\\ud83d\\ude00"')

    response = scim.call("post", "Users", body)

    assert response.status_code == 201, response.content
    assert response.json()["userName"] == "smile\N{GRINNING FACE}"


def test_a_nul_in_a_group_name_is_400(scim):
    assert_scim_error(scim.post("Groups", {"displayName": "a\x00b"}), 400, "invalidValue")


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00-23:59"]
)
def test_a_last_modified_filter_at_the_end_of_time_is_answered(scim, moment):
    PersonFactory()

    response = scim.get("Users?filter=" + quote(f'meta.lastModified gt "{moment}"'))

    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert_scim_error(response, 400, "invalidFilter")


@pytest.mark.parametrize("value", ["1e999", "-1e999", "1.5", "true", '"x"', "[]"])
def test_fail_on_errors_must_be_a_whole_number(scim, value):
    body = spliced(bulk({"method": "DELETE", "path": "/Users/x"}, failOnErrors="@"), value)

    assert_scim_error(scim.call("post", "Bulk", body), 400, "invalidValue")


def test_a_bulk_version_that_is_not_an_etag_string_fails_that_operation_alone(scim):
    person = PersonFactory()

    response = scim.post(
        "Bulk",
        bulk(
            {"method": "PUT", "path": f"/Users/{person.pk}", "version": 5,
             "data": {"schemas": [USER_SCHEMA], "userName": "x"}},
            {"method": "DELETE", "path": f"/Users/{person.pk}"},
        ),
    )  # fmt: skip

    assert response.status_code == 200, response.content
    first, second = response.json()["Operations"]
    assert first["status"] == "400"
    assert first["response"]["scimType"] == "invalidValue"
    assert second["status"] == "204"


@pytest.mark.parametrize("nesting", ["[" * 500 + "]" * 500, '{"a":' * 500 + "1" + "}" * 500])
def test_bulk_data_nested_hundreds_of_levels_deep_is_400(scim, nesting):
    data = {"userName": "q", "x": "@"}
    body = spliced(bulk({"method": "POST", "path": "/Users", "bulkId": "a", "data": data}), nesting)

    assert_scim_error(scim.call("post", "Bulk", body), 400, "invalidSyntax")


def test_a_bulk_request_of_many_operations_is_not_taken_for_deep_nesting(scim):
    operations = [
        {"method": "POST", "path": "/Groups", "bulkId": f"g{n}", "data": {"displayName": f"g{n}"}}
        for n in range(40)
    ]

    response = scim.post("Bulk", bulk(*operations))

    assert response.status_code == 200, response.content
    assert {op["status"] for op in response.json()["Operations"]} == {"201"}


@pytest.mark.parametrize(
    "expression", ['userName co "%s"' % ("a" * 60_000), 'userName sw "%s"' % ("_" * 50_001)]
)
def test_a_filter_operand_too_long_for_a_like_pattern_is_answered(scim, expression):
    response = scim.post("Users/.search", {"filter": expression})

    # SQLite refuses the pattern (400); PostgreSQL runs it and finds nobody.
    if response.status_code != 200:
        assert_scim_error(response, 400, "invalidFilter")


def test_a_group_name_too_long_for_its_column_is_400_not_500(scim):
    response = scim.post("Groups", {"displayName": "x" * 100_000})

    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize("escape", ["\\ud800", "\\u0000"])
def test_a_filter_escape_that_makes_a_surrogate_or_a_nul_is_400(scim, escape):
    PersonFactory()

    response = scim.get("Users?filter=" + quote(f'userName eq "a{escape}"'))

    # The filter's own escape makes the character: the query string itself is clean.
    if response.status_code != 200:
        assert_scim_error(response, 400)


def test_the_renderer_escapes_a_surrogate_that_came_from_elsewhere():
    """Not from a body (the parser refuses it there): any other source still renders as
    JSON, where Django would answer its HTML error page."""
    rendered = ScimJSONRenderer().render({"detail": "a\ud800"})

    assert json.loads(rendered) == {"detail": "a\ud800"}
