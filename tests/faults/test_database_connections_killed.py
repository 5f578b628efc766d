"""Database connections terminated in the middle of SCIM writes to a live server
(pg_terminate_backend on every other backend of both test databases, again and again; the
live server, not the test client, so that Django's own handling of a broken connection
between requests is what runs): no acknowledged write is
lost, a request that lost its connection answers 503 with a SCIM body (never a 500), and
nothing is half-written: every person stored has their e-mail and their audit event, and
the audit chain verifies."""

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import psycopg
import pytest
from django.db import connections

from compliance.audit.chain import verify
from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from provisioning.models import Person, PersonEmail
from provisioning.services.scim_clients import scim_client_create, scim_token_issue
from tests.provisioning.scim.conftest import USER_SCHEMA

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

WRITERS = 3
USERS_EACH = 12
MAX_EACH = 300  # the writers stop here whatever happens
KILL_EVERY = 0.6  # seconds: some requests die, most get through
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def terminate_others(stop: threading.Event, killed: list[int]) -> None:
    """Terminate every backend of the test databases but this one, until told to stop."""
    names = [connections[alias].settings_dict["NAME"] for alias in ("default", "keys")]
    db = connections["default"].settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as killer:
        while not stop.wait(KILL_EVERY):
            rows = killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                (names,),
            ).fetchall()
            killed.append(sum(1 for (done,) in rows if done))


def post(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 (the live server's http URL)
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the live server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_no_acknowledged_write_is_lost_and_none_half_written_when_connections_die(
    actor, live_server
):
    client = scim_client_create(actor=actor, name="Entra ID", profile="directory", mode="strict")
    token = scim_token_issue(client=client, actor=actor).secret
    answers: list[tuple[str, int, dict[str, Any]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS + 1)
    hit = threading.Event()

    users = f"{live_server.url}/scim/v2/Users"

    def write(writer: int) -> None:
        try:
            start.wait(timeout=30)
            # At least USERS_EACH each, and on until the fault has hit someone: fast writes
            # could otherwise all land between two of the killer's rounds.
            n = 0
            while (n < USERS_EACH or not hit.is_set()) and n < MAX_EACH:
                name = f"w{writer}u{n}@example.org"
                body = {
                    "schemas": [USER_SCHEMA],
                    "userName": name,
                    "emails": [{"value": name, "type": "work", "primary": True}],
                }
                status, answer = post(users, token, body)
                answers.append((name, status, answer))
                if status == 503:
                    hit.set()
                n += 1
                time.sleep(0.02)
        except BaseException as error:  # surfaced below: a writer's failure fails the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    stop, killed = threading.Event(), list[int]()
    killer = threading.Thread(target=terminate_others, args=(stop, killed))
    start.wait(timeout=30)
    killer.start()
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    killer.join(timeout=10)
    connections.close_all()  # the test's own connection was terminated too

    assert errors == []
    assert sum(killed) > 0
    statuses = [status for _, status, _ in answers]
    assert set(statuses) <= {201, 503}, statuses
    assert 503 in statuses, statuses  # the fault hit...
    assert 201 in statuses, statuses  # ...and writes went on
    for _, status, body in answers:
        if status == 503:
            assert (body["schemas"], body["status"]) == ([ERROR_SCHEMA], "503")
    acknowledged = {name: body["id"] for name, status, body in answers if status == 201}
    stored = dict(Person.objects.values_list("user_name", "pk"))
    for name, person_id in acknowledged.items():
        assert str(stored[name]) == person_id  # not lost
    for name, pk in stored.items():  # whatever was stored is whole
        assert PersonEmail.objects.filter(person_id=pk, value=name).exists()
        assert AuditEvent.objects.filter(action=Action.PERSON_CREATED, subject_id=str(pk)).exists()
    assert verify().ok
