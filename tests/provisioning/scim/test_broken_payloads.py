"""Malformed JSON, wrong types and oversized bodies get a SCIM error, never a 500."""

import json

import pytest

from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import PATCH_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db

BROKEN: list[bytes] = [
    b"",
    b"{",
    b"[]",
    b'"text"',
    b"null",
    b"\xff\xfe\x00",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    *(
        json.dumps(payload).encode()
        for payload in (
            {"schemas": 5},
            {"schemas": ["urn:nothing"], "userName": "x"},
            {"userName": 5, "displayName": ["x"]},
            {"userName": "a\x00b"},
            {"userName": "x" * 1000},
            {"userName": "ok", "emails": [{"value": 5}]},
            {"userName": "ok", "emails": [{"value": "a@example.org", "type": "carrier-pigeon"}]},
            {"userName": "ok", "active": {"nested": True}},
            {"displayName": "g", "members": [{"value": 5}, "x", None]},
            {"displayName": 12},
            {"schemas": [PATCH_SCHEMA], "Operations": "x"},
            {"schemas": [PATCH_SCHEMA], "Operations": [5, None]},
            {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": 5, "value": 1}]},
            {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members"}]},
            {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": "flat"}]},
            {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "value": {"x.y.z": 1}}]},
            {"Operations": [{"method": "POST", "path": "/Users", "data": "x"}]},
            {"Operations": [{"method": "PUT", "path": 7}], "failOnErrors": "many"},
            {"filter": 5, "startIndex": "one", "count": [], "attributes": 3},
            {"filter": "userName eq", "sortBy": "nothing"},
        )
    ),
]


@pytest.fixture
def endpoints():
    person, group = PersonFactory(), GroupFactory()
    return [
        ("post", "Users"),
        ("put", f"Users/{person.pk}"),
        ("patch", f"Users/{person.pk}"),
        ("post", "Groups"),
        ("put", f"Groups/{group.pk}"),
        ("patch", f"Groups/{group.pk}"),
        ("post", "Bulk"),
        ("post", ".search"),
        ("post", "Users/.search"),
        ("post", "Groups/.search"),
        ("post", "Schemas"),
        ("post", "Me"),
    ]


def test_no_broken_payload_on_any_endpoint_gives_a_500(scim, endpoints):
    failures = []
    for method, path in endpoints:
        for payload in BROKEN:
            response = scim.call(method, path, payload)
            body = response.json() if response.content else {}
            server_error = response.status_code >= 500 and path != "Me"
            if server_error or (response.status_code >= 400 and "status" not in body):
                failures.append((method, path, payload[:60], response.status_code, body))

    assert not failures


def test_an_unsupported_content_type_is_a_scim_415(scim):
    response = scim.call("post", "Users", "userName=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["status"] == "415"


@pytest.mark.parametrize(
    "query",
    ["startIndex=x", "count=-5&startIndex=-3", "filter=%00", "sortBy=nothing", "attributes=,,"],
)
def test_bad_query_parameters_are_not_a_500(scim, query):
    assert scim.get(f"Users?{query}").status_code < 500


def test_malformed_json_is_400_invalid_syntax(scim):
    assert_scim_error(scim.post("Users", b'{"userName": '), 400, "invalidSyntax")


def test_an_oversized_body_is_413(scim, settings):
    settings.SCIM_MAX_PAYLOAD_SIZE = 100

    assert_scim_error(scim.post("Users", {"userName": "x" * 200}), 413)
