import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from provisioning import first_pages
from provisioning.models import Membership, ScimClient
from provisioning.scim.auth import failures_key
from provisioning.services.scim_clients import scim_client_create, scim_token_issue

SCIM = "application/scim+json"
BASE = "/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ScimBrowser:
    """A Django test client that speaks SCIM with a bearer token."""

    def __init__(self, token: str, client: ScimClient) -> None:
        self.http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **headers: Any) -> Any:
        url = path if path.startswith("/") else f"{BASE}/{path}"
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return getattr(self.http, method)(
            url, data=data, content_type=headers.pop("content_type", SCIM), headers=headers
        )

    def get(self, path: str, **headers: Any) -> Any:
        return self.http.get(path if path.startswith("/") else f"{BASE}/{path}", headers=headers)

    def post(self, path: str, body: Any, **headers: Any) -> Any:
        return self.call("post", path, body, **headers)

    def put(self, path: str, body: Any, **headers: Any) -> Any:
        return self.call("put", path, body, **headers)

    def patch(self, path: str, body: Any, **headers: Any) -> Any:
        return self.call("patch", path, body, **headers)

    def delete(self, path: str, **headers: Any) -> Any:
        return self.call("delete", path, None, **headers)


@pytest.fixture(autouse=True)
def _forget_auth_failures():
    """Only this key: the cache may be the Redis database other processes use."""
    key = failures_key("127.0.0.1")
    cache.delete(key)
    yield
    cache.delete(key)


@pytest.fixture
def make_scim(actor):
    def make(name: str = "Entra ID", profile: str = "directory", mode: str = "strict"):
        client = scim_client_create(actor=actor, name=name, profile=profile, mode=mode)
        return ScimBrowser(scim_token_issue(client=client, actor=actor).secret, client)

    return make


@pytest.fixture
def scim(make_scim):
    return make_scim()


def patch_ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> Any:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    if scim_type:
        assert body.get("scimType") == scim_type, body
    return body


def join(group: Any, *people: Any) -> None:
    """Arrange memberships directly (factories type as themselves, not as models)."""
    Membership.objects.bulk_create([Membership(group=group, person=person) for person in people])


# The read tests, run on both of first_pages' paths: the compiled one, and the ORM's
# that takes over on a Django release it was not proven on.
READ_TESTS = frozenset(
    {
        "test_agreed_reads",
        "test_group_page",
        "test_groups",
        "test_people_page",
        "test_query_counts",
        "test_users",
        "test_users_erased",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.module.__name__.rpartition(".")[2] in READ_TESTS:
        compiled_only = metafunc.definition.get_closest_marker("compiled_reads")
        paths = ["compiled"] if compiled_only else ["compiled", "orm"]
        metafunc.parametrize("read_path", paths, indirect=True)


@pytest.fixture(autouse=True)
def read_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The path first_pages reads with: as chosen at start-up, unless a read test asks."""
    path: str | None = getattr(request, "param", None)
    if path is not None:
        monkeypatch.setattr(first_pages, "COMPILED", path == "compiled")
    return path
