"""The second peer: scim2-server, python-scim's reference SCIM server, in memory. It is the
server its `scim2-server` command builds (default schemas, resource types and configuration,
a static bearer token, one process with a thread per request), loaded before it listens
with the bench data set read from the portal's database by the queries that copy it to
django-scim2, so that all three answer about the same people and groups.

Loading takes tens of seconds, and the bench restarts a target whose requests it gave up on
(their threads would keep the next batch waiting). So this process loads once and serves
from a forked child, as gunicorn's master does with its workers: SIGHUP replaces the child
by a fresh fork of the loaded data in a fraction of a second, SIGQUIT or SIGTERM stops both.

    python -m bench.peers.scim2server --port 8080 --bearer-token T --database URL
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from typing import Any, NoReturn
from wsgiref.simple_server import WSGIRequestHandler, make_server

import psycopg
from scim2_models import Resource, ResourceType, ScimProvider, SearchRequest
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.testserver.cli import ThreadingWSGIServer
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

from bench.peer_data import GROUPS, MEMBERSHIPS, USERS

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
# The attributes the bench looks users up by with `eq`: the storage indexes one on its
# first search, which would otherwise land in the first measured batch.
INDEXED = ("userName", "externalId")
# Replace the child (SIGHUP), stop (SIGQUIT, the bench's quick shutdown, or SIGTERM), or
# notice that the child died (SIGCHLD).
CONTROL = {signal.SIGHUP, signal.SIGQUIT, signal.SIGTERM, signal.SIGCHLD}


class QuietHandler(WSGIRequestHandler):
    """No access log: the gunicorn targets keep none either, and a line per request on
    stderr is work the other targets do not do."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def provider_with_token() -> ScimProvider:
    """What `scim2-server --bearer-token` serves: the defaults, announcing the token scheme."""
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    return ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )


def _rows(connection: psycopg.Connection[Any], query: str) -> Iterator[tuple[str | None, ...]]:
    with connection.cursor() as cursor, cursor.copy(query) as copy:
        yield from copy.rows()


def user_documents(connection: psycopg.Connection[Any]) -> Iterator[dict[str, Any]]:
    """The bench's users as SCIM documents, from the columns the peer's copy reads."""
    for row in _rows(connection, USERS):
        (person_id, _, external_id, user_name, _, given, family, email, email_type, active, _,
         title, employee_number, department, cost_center, organization, division) = row  # fmt: skip
        yield {
            "schemas": [USER, ENTERPRISE],
            "id": person_id,
            "externalId": external_id,
            "userName": user_name,
            "name": {"givenName": given, "familyName": family},
            "displayName": f"{given} {family}",
            "title": title,
            "active": active == "t",
            "emails": [{"value": email, "type": email_type, "primary": True}] if email else [],
            ENTERPRISE: {
                "employeeNumber": employee_number,
                "department": department,
                "costCenter": cost_center,
                "organization": organization,
                "division": division,
            },
        }


def group_documents(connection: psycopg.Connection[Any]) -> Iterator[dict[str, Any]]:
    members: dict[str, list[dict[str, str]]] = {}
    for group_id, person_id in _rows(connection, MEMBERSHIPS):
        members.setdefault(str(group_id), []).append({"value": str(person_id), "type": "User"})
    for group_id, external_id, display_name, _ in _rows(connection, GROUPS):
        yield {
            "schemas": [GROUP],
            "id": group_id,
            "externalId": external_id,
            "displayName": display_name,
            "members": members.get(str(group_id), []),
        }


def stored(
    storage: InMemoryStorage, model: type[Resource[Any]], kind: str, document: dict[str, Any]
) -> Resource[Any]:
    """A resource as the storage would have made it: validated, with its own meta."""
    now = storage.clock()
    meta = {"resourceType": kind, "created": now, "lastModified": now}
    resource = model.model_validate({**document, "meta": meta})
    assert resource.meta is not None
    resource.meta.version = storage.next_version()
    return resource


def load(
    storage: InMemoryStorage, service: ScimService, provider: ScimProvider, database: str
) -> tuple[int, int]:
    """Fill the storage with the bench's users and groups, keeping their ids; return how
    many of each. The storage's own setter indexes their unique values."""
    types: dict[str | None, ResourceType] = {rt.name: rt for rt in provider.resource_types}
    user_model = service.get_model(types["User"])
    group_model = service.get_model(types["Group"])
    with psycopg.connect(database) as connection:
        users = [stored(storage, user_model, "User", doc) for doc in user_documents(connection)]
        groups = [stored(storage, group_model, "Group", doc) for doc in group_documents(connection)]
    storage.resources = [*users, *groups]
    for attribute in INDEXED:
        search = SearchRequest[user_model].model_validate(  # type: ignore[valid-type]
            {"filter": f'{attribute} eq "warm-up"'}
        )
        storage.search([types["User"]], search)
    return len(users), len(groups)


def serve_child(server: ThreadingWSGIServer) -> NoReturn:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, CONTROL)
    for number in CONTROL:
        signal.signal(number, signal.SIG_DFL)
    server.serve_forever()
    os._exit(0)


def supervise(server: ThreadingWSGIServer) -> int:
    """Serve from one child at a time until told to stop; a fresh child on each SIGHUP."""
    signal.pthread_sigmask(signal.SIG_BLOCK, CONTROL)
    while True:
        child = os.fork()
        if child == 0:
            serve_child(server)
        received = signal.sigwait(CONTROL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        # The child just killed signalled its end too: not a reason to stop the next one.
        signal.sigtimedwait({signal.SIGCHLD}, 0)
        if received != signal.SIGHUP:
            return 0 if received != signal.SIGCHLD else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="scim2-server with the bench data set.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bearer-token", required=True)
    parser.add_argument("--database", required=True, help="the portal's PostgreSQL URL")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    provider = provider_with_token()
    service = ScimService(provider, secret=secrets.token_urlsafe(32))
    storage = InMemoryStorage()
    users, groups = load(storage, service, provider, args.database)
    print(
        f"scim2-server: loaded {users} users and {groups} groups"
        f" in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    application = BearerTokenApplication(
        storage, provider, service=service, bearer_tokens=[args.bearer_token]
    )
    with make_server(
        "127.0.0.1",
        args.port,
        application,
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    ) as server:
        return supervise(server)


if __name__ == "__main__":
    sys.exit(main())
