"""Generated requests, shaped like SCIM with anything at the leaves, get an answer or a
SCIM error, never a 500: the hand-picked cases of test_broken_payloads, widened by
hypothesis to whatever an identity provider's bug or an attacker could send."""

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import ENTERPRISE, PATCH_SCHEMA, USER_SCHEMA

pytestmark = pytest.mark.django_db

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
GENERATED = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["work", "home", "true", "bulkId:b1", "a@example.org", "2024-01-01T00:00:00Z"]),
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)


values = st.recursive(leaves, _containers, max_leaves=10)
USER_KEYS = [
    "schemas", "id", "externalId", "userName", "name", "displayName", "nickName", "title",
    "active", "emails", "phoneNumbers", "groups", "meta", "password", ENTERPRISE,
]  # fmt: skip
PATHS = [
    "members", 'members[value eq "x"]', "active", "emails", 'emails[type eq "work"].value',
    "name.givenName", f"{ENTERPRISE}:manager", "displayName", "externalId", "[", "",
]  # fmt: skip


def resources(keys: list[str], schema: str) -> st.SearchStrategy[Any]:
    body = st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), values, max_size=6)
    with_schema = st.builds(lambda b: {"schemas": [schema], **b}, body)
    return st.one_of(body, with_schema, values)


users = resources(USER_KEYS, USER_SCHEMA)
groups = resources(["schemas", "displayName", "members", "externalId", "id"], "")
operations = st.fixed_dictionaries(
    {},
    optional={
        "op": st.sampled_from(["add", "replace", "remove", "Add", "REMOVE", "move"]) | values,
        "path": st.sampled_from(PATHS) | values,
        "value": values,
    },
)
patches = st.one_of(
    st.builds(lambda ops: {"schemas": [PATCH_SCHEMA], "Operations": ops}, st.lists(operations)),
    values,
)
bulks = st.builds(
    lambda ops: {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                 "Operations": ops},
    st.lists(st.fixed_dictionaries({}, optional={
        "method": st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]) | values,
        "path": st.sampled_from(["/Users", "/Groups", "/Users/bulkId:b1", "/Nothing"]) | values,
        "bulkId": st.sampled_from(["b1", "b2"]) | values,
        "data": values,
    }), max_size=3),
)  # fmt: skip
FILTERS = ['userName eq "a"', "active eq true", 'emails[type eq "work"]', "not (", "x eq", "(", ""]
queries = st.fixed_dictionaries(
    {},
    optional={
        "filter": st.sampled_from(FILTERS) | st.text(max_size=40),
        "startIndex": st.integers(-5, 10**12).map(str) | st.text(max_size=5),
        "count": st.integers(-5, 10**12).map(str) | st.text(max_size=5),
        "attributes": st.sampled_from(["userName", "emails,groups", ",", "members"]),
        "excludedAttributes": st.sampled_from(["members", "groups", "x.y.z"]),
        "sortBy": st.sampled_from(["userName", "emails", "name.familyName", "nothing"]),
        "sortOrder": st.sampled_from(["ascending", "descending", "sideways"]),
    },
)


def assert_answered(response: Any) -> None:
    """Any status below 500; an error status with a SCIM error body that repeats it."""
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == [ERROR_SCHEMA], body
        assert body["status"] == str(response.status_code), body


@pytest.fixture
def targets():
    return {"person": PersonFactory().pk, "group": GroupFactory().pk}


def send(scim: Any, method: str, path: str, body: Any) -> Any:
    return scim.call(method, path, json.dumps(body))


@GENERATED
@given(body=users)
def test_generated_user_creations_and_replacements(scim, targets, body):
    assert_answered(send(scim, "post", "Users", body))
    assert_answered(send(scim, "put", f"Users/{targets['person']}", body))


@GENERATED
@given(body=patches)
def test_generated_patches_of_users_and_groups(scim, targets, body):
    assert_answered(send(scim, "patch", f"Users/{targets['person']}", body))
    assert_answered(send(scim, "patch", f"Groups/{targets['group']}", body))


@GENERATED
@given(body=groups)
def test_generated_group_creations_and_replacements(scim, targets, body):
    assert_answered(send(scim, "post", "Groups", body))
    assert_answered(send(scim, "put", f"Groups/{targets['group']}", body))


@GENERATED
@given(body=bulks)
def test_generated_bulk_requests(scim, body):
    assert_answered(send(scim, "post", "Bulk", body))


@GENERATED
@given(parameters=queries)
def test_generated_list_queries_and_searches(scim, parameters):
    assert_answered(scim.get(f"Users?{urlencode(parameters)}"))
    assert_answered(scim.get(f"Groups?{urlencode(parameters)}"))
    assert_answered(send(scim, "post", "Users/.search", parameters))
