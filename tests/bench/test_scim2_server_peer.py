"""scim2-server as the bench's second peer: started as the run starts it, loaded with the
portal's bench data, and restarted as a cut batch restarts it."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.db import connection

from bench import dataset
from bench.run import SCIM2_SERVER_TOKEN, scim2_server
from bench.servers import ForkedServer

pytestmark = pytest.mark.postgresql

PLAN = dataset.Plan(users=1_000, seed=1)
HEADERS = {"Authorization": f"Bearer {SCIM2_SERVER_TOKEN}", "Accept": "application/scim+json"}


def database_url() -> str:
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[ForkedServer]:
    """One server for the module: loading it is the slow part. The data set is committed,
    since the server reads it from another process, and removed afterwards."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            dataset.reset(cursor)
        dataset.load(connection.connection, users=PLAN.users, seed=PLAN.seed)
        started = scim2_server({"DATABASE_URL": database_url()})
        try:
            started.start(tmp_path_factory.mktemp("logs"))
            yield started
        finally:
            started.stop()
            with connection.connection.cursor() as cursor:
                dataset.reset(cursor)


def get(server: ForkedServer, path: str) -> httpx.Response:
    return httpx.get(f"{server.origin}/v2{path}", headers=HEADERS, timeout=30.0)


def lookup(server: ForkedServer, expression: str) -> dict[str, Any]:
    response = get(server, f"/Users?filter={quote(expression, safe='')}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_it_answers_the_lookups_with_the_portals_people_and_their_ids(server):
    person_id = str(dataset.person_ids(PLAN)[5])

    by_name = lookup(server, f'userName eq "{dataset.user_name(5)}"')
    by_email = lookup(server, f'emails[type eq "work"].value eq "{dataset.work_email(5)}"')

    assert [user["id"] for user in by_name["Resources"]] == [person_id]
    assert [user["id"] for user in by_email["Resources"]] == [person_id]
    assert by_name["Resources"][0]["externalId"] == dataset.external_id(5)


def test_it_holds_the_large_groups_with_all_their_members(server):
    group_id = str(dataset.group_ids(PLAN)[-1])

    group = get(server, f"/Groups/{group_id}").json()

    assert group["displayName"] == dataset.big_group_name(50_000)
    assert len(group["members"]) == PLAN.big_groups[-1]


def test_it_refuses_a_request_without_the_runs_token(server):
    response = httpx.get(f"{server.origin}/v2/Users", timeout=30.0)

    assert response.status_code == 401


def test_a_restart_serves_from_a_fresh_child_with_the_data_as_loaded(server):
    worker = server.worker_pids()
    person_id = str(dataset.person_ids(PLAN)[7])
    deleted = httpx.delete(f"{server.origin}/v2/Users/{person_id}", headers=HEADERS)
    assert deleted.status_code == 204

    server.restart()

    assert server.worker_pids() != worker
    assert get(server, f"/Users/{person_id}").status_code == 200
