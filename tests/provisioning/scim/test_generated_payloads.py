"""Generated requests to /Users, /Groups, /Bulk and the /.search endpoints, shaped like
SCIM with anything hostile at the leaves (lone surrogates, NUL, numbers beyond any
column, dates at the end of time, LIKE wildcards, deep nesting), get an answer or a SCIM
error: never a 5xx, and every 4xx (also inside a /Bulk response) is a SCIM error body
that repeats its status.

The budget is fixed (SCIM_FUZZ_EXAMPLES examples in all, 2,000 by default, shared by the
tests below by weight) and the examples are derandomised, so that `make test` runs the
same requests every time on SQLite and PostgreSQL. SCIM_FUZZ_EXPLORE=1 draws new ones."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import ENTERPRISE, GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA

pytestmark = pytest.mark.django_db

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
BUDGET = int(os.environ.get("SCIM_FUZZ_EXAMPLES", "2000"))
# The share of the budget of each test, by how much there is to explore behind it.
WEIGHTS = {"users": 3, "patches": 3, "groups": 2, "bulk": 3, "queries": 4, "searches": 3}


def budget(test: str) -> settings:
    return settings(
        max_examples=max(1, BUDGET * WEIGHTS[test] // sum(WEIGHTS.values())),
        deadline=None,
        database=None,
        derandomize=os.environ.get("SCIM_FUZZ_EXPLORE") != "1",
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# --- Hostile leaves ------------------------------------------------------------------------

HOSTILE_TEXT = [
    "\ud800", "a\udfffb", "\x00", "a\x00b", "x" * 300, "%" * 40, "_%\\", "\\", '"', "'",
    "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
    "2024-01-01T00:00:00Z", "99999999999999999999", "-1", "1e999", "true", "null",
    "bulkId:b1", "bulkId:\ud800", "a@example.org", "work", "W/\"1\"", "*",
]  # fmt: skip
texts = st.one_of(
    st.text(max_size=30),
    st.text(
        st.characters(categories=["Cs", "Cc", "Zs"]) | st.sampled_from('%_[]()"\\'), max_size=8
    ),
    st.sampled_from(HOSTILE_TEXT),
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),  # with NaN and the infinities, which Python's JSON reads and writes
    st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**20]),
)
leaves = st.one_of(st.none(), st.booleans(), numbers, texts)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


deeply_nested = st.integers(min_value=20, max_value=80).map(nested)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)


values = st.recursive(leaves, _containers, max_leaves=10)

# --- Resources and messages ---------------------------------------------------------------

USER_KEYS = [
    "schemas", "id", "externalId", "userName", "name", "displayName", "nickName", "title",
    "active", "emails", "phoneNumbers", "groups", "meta", "password", "userType",
    "preferredLanguage", ENTERPRISE,
]  # fmt: skip
GROUP_KEYS = ["schemas", "displayName", "members", "externalId", "id", "meta"]
PATHS = [
    "members", 'members[value eq "x"]', "active", "emails", 'emails[type eq "work"].value',
    "name.givenName", f"{ENTERPRISE}:manager", "displayName", "externalId", "[", "",
    'phoneNumbers[type eq "\ud800"].value', "meta.lastModified", "a" * 300,
]  # fmt: skip


def resources(keys: list[str], schema: str) -> st.SearchStrategy[Any]:
    body = st.dictionaries(st.sampled_from(keys) | texts, values, max_size=6)
    with_schema = st.builds(lambda b: {"schemas": [schema], **b}, body)
    too_deep = st.builds(lambda d: {"schemas": [schema], "displayName": d}, deeply_nested)
    return st.one_of(body, with_schema, values, too_deep)


users = resources(USER_KEYS, USER_SCHEMA)
groups = resources(GROUP_KEYS, GROUP_SCHEMA)
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
BULK_PATHS = ["/Users", "/Groups", "/Users/bulkId:b1", "/Groups/bulkId:b2", "/Nothing", "/Bulk"]
bulk_operations = st.fixed_dictionaries(
    {},
    optional={
        "method": st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]) | values,
        "path": st.sampled_from(BULK_PATHS) | values,
        "bulkId": st.sampled_from(["b1", "b2"]) | values,
        "version": st.sampled_from(['W/"1"', "*"]) | values,
        "data": users | groups | patches,
    },
)
bulks = st.fixed_dictionaries(
    {"schemas": st.just([BULK_REQUEST]), "Operations": st.lists(bulk_operations, max_size=3)},
    optional={"failOnErrors": numbers | values},
)

# --- Filters and query parameters ---------------------------------------------------------

ATTRIBUTES = [
    "userName", "displayName", "externalId", "id", "active", "title", "emails", "emails.value",
    "emails.type", "name.familyName", "meta.lastModified", "meta.created", "members",
    "members.value", "phoneNumbers.value", f"{ENTERPRISE}:department", f"{USER_SCHEMA}:userName",
    "nothing", "a.b.c",
]  # fmt: skip
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "xx"]
operands = st.one_of(
    texts.map(json.dumps),  # quoted, with its escapes: \ud800 and \u0000 included
    st.sampled_from(["true", "false", "null", "1", "1e999", "99999999999999999999", '"', ""]),
)


@st.composite
def filters(draw: st.DrawFn, depth: int = 0) -> str:
    attribute = draw(st.sampled_from(ATTRIBUTES))
    leaf = draw(
        st.sampled_from([f"{attribute} pr", "(", ")", "not"])
        | st.builds(
            lambda op, value: f"{attribute} {op} {value}", st.sampled_from(OPERATORS), operands
        )
    )
    if depth >= 2:
        return leaf
    return draw(
        st.one_of(
            st.just(leaf),
            st.builds(lambda inner: f"not ({inner})", filters(depth + 1)),
            st.builds(
                lambda a, op, b: f"{a} {op} {b}",
                filters(depth + 1),
                st.sampled_from(["and", "or", "AND"]),
                filters(depth + 1),
            ),
            st.builds(lambda inner: f"emails[{inner}]", filters(depth + 1)),
        )
    )


filter_texts = filters() | texts
query_parameters = {
    "filter": filter_texts,
    "startIndex": numbers.map(str) | texts,
    "count": numbers.map(str) | texts,
    "attributes": st.sampled_from([*ATTRIBUTES, "emails,groups", ","]) | texts,
    "excludedAttributes": st.sampled_from(["members", "groups", "x.y.z"]) | texts,
    "sortBy": st.sampled_from(ATTRIBUTES) | texts,
    "sortOrder": st.sampled_from(["ascending", "descending", "sideways"]) | texts,
}
queries = st.fixed_dictionaries({}, optional=query_parameters)
# A .search body carries the same parameters, as JSON values of any type.
searches = st.one_of(
    st.fixed_dictionaries(
        {}, optional={key: strategy | values for key, strategy in query_parameters.items()}
    ),
    values,
)

# --- Sending and judging --------------------------------------------------------------------


class _Undo(Exception):
    pass


@contextmanager
def undone() -> Iterator[None]:
    """Run one request in a savepoint rolled back afterwards: examples do not pile up
    rows, and a statement PostgreSQL refused (an answered 400) cannot abort the test's
    transaction for the next request, as it could not in autocommit outside tests."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


def assert_error_body(body: Any, status: int) -> None:
    assert isinstance(body, dict), body
    assert body.get("schemas") == [ERROR_SCHEMA], body
    assert body.get("status") == str(status), body


def assert_answered(response: Any) -> None:
    """Any status below 500; an error status with a SCIM error body that repeats it; in a
    /Bulk response, the same for every operation."""
    assert response.status_code < 500, response.content[:500]
    if response.status_code in (204, 304):
        return
    assert response["Content-Type"].startswith("application/scim+json"), response.content[:200]
    body = response.json()
    if response.status_code >= 400:
        assert_error_body(body, response.status_code)
        return
    for result in body["Operations"] if body.get("schemas") == [BULK_RESPONSE] else []:
        status = int(result["status"])
        assert status < 500, result
        if status >= 400:
            assert_error_body(result.get("response"), status)


def send(scim: Any, method: str, path: str, body: Any) -> None:
    # ensure_ascii (the default) writes a lone surrogate as its \u escape, as a client would.
    with undone():
        assert_answered(scim.call(method, path, json.dumps(body, allow_nan=True)))


def query(scim: Any, path: str, parameters: dict[str, str]) -> None:
    # A surrogate in a query string reaches the server as the bytes it would be in UTF-8.
    with undone():
        assert_answered(scim.get(f"{path}?{urlencode(parameters, errors='surrogatepass')}"))


@pytest.fixture
def targets():
    return {"person": PersonFactory().pk, "group": GroupFactory().pk}


@budget("users")
@given(body=users)
def test_generated_user_creations_and_replacements(scim, targets, body):
    send(scim, "post", "Users", body)
    send(scim, "put", f"Users/{targets['person']}", body)


@budget("patches")
@given(body=patches)
def test_generated_patches_of_users_and_groups(scim, targets, body):
    send(scim, "patch", f"Users/{targets['person']}", body)
    send(scim, "patch", f"Groups/{targets['group']}", body)


@budget("groups")
@given(body=groups)
def test_generated_group_creations_and_replacements(scim, targets, body):
    send(scim, "post", "Groups", body)
    send(scim, "put", f"Groups/{targets['group']}", body)


@budget("bulk")
@given(body=bulks)
def test_generated_bulk_requests(scim, targets, body):
    send(scim, "post", "Bulk", body)


@budget("queries")
@given(parameters=queries)
def test_generated_list_queries(scim, targets, parameters):
    query(scim, "Users", parameters)
    query(scim, "Groups", parameters)


@budget("searches")
@given(body=searches)
def test_generated_searches(scim, targets, body):
    send(scim, "post", "Users/.search", body)
    send(scim, "post", "Groups/.search", body)
    send(scim, "post", ".search", body)
