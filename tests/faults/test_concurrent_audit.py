"""SCIM writers in threads and the audit checks at the same time: the chain verifies every
time, and no false "broken audit chain" incident is raised."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from compliance import tasks
from compliance.audit.chain import verify
from compliance.audit.services import Entry, events_record
from compliance.audit.vocabulary import Action
from compliance.incidents.models import Incident
from provisioning.services.scim_clients import scim_client_create, scim_token_issue
from tests.provisioning.scim.conftest import USER_SCHEMA, ScimBrowser

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

WRITERS = 3
USERS_EACH = 6
MAX_EACH = 200  # the writers stop here whatever happens
HISTORY = 400  # events already in the trail: a walk long enough for appends to land in it


def test_the_chain_verifies_while_writers_append(actor):
    events_record(
        actor=actor,
        entries=[Entry(Action.PERSON_UPDATED, ("tests.thing", str(n))) for n in range(HISTORY)],
    )
    client = scim_client_create(actor=actor, name="Entra ID", profile="directory", mode="strict")
    token = scim_token_issue(client=client, actor=actor).secret
    statuses: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS + 1)
    checked = threading.Event()

    def write(writer: int) -> None:
        try:
            scim = ScimBrowser(token, client)
            start.wait(timeout=30)
            # At least USERS_EACH each, and on until two rounds of checks have run: writes
            # that are quick could otherwise all land before the first check ends.
            n = 0
            while (n < USERS_EACH or not checked.is_set()) and n < MAX_EACH:
                response = scim.post(
                    "Users",
                    {"schemas": [USER_SCHEMA], "userName": f"w{writer}u{n}@example.org"},
                )
                statuses.append(response.status_code)
                user_id = response.json()["id"]
                patch = {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}],
                }
                statuses.append(scim.patch(f"Users/{user_id}", patch).status_code)
                n += 1
        except BaseException as error:  # surfaced below: a writer's failure fails the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    start.wait(timeout=30)
    reports = []
    while any(thread.is_alive() for thread in threads):  # checks for as long as they write
        out = StringIO()
        try:
            call_command("audit_verify", "--chunk-size", "1", stdout=out)
        except CommandError as error:  # reported below, once the writers are done
            out.write(str(error))
        reports.append(out.getvalue())
        reports.append(str(tasks.verify_audit_chain()))
        if len(reports) >= 4:
            checked.set()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(reports) >= 4  # at least two rounds of checks overlapped the writes
    created = statuses.count(201)
    assert created >= WRITERS * USERS_EACH
    assert statuses.count(200) == created
    assert all("Audit chain intact" in r for r in reports[::2]), reports
    assert all("'first_broken': None" in r for r in reports[1::2]), reports
    assert not Incident.objects.filter(kind=Incident.Kind.BROKEN_AUDIT_CHAIN).exists()
    assert verify().ok
