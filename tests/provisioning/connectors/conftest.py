"""A real downstream: scim2-server (python-scim) as a separate process on 127.0.0.1, with
in-memory storage, stoppable and restartable on the same port for the fault tests."""

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from compliance.audit.actor import Actor
from provisioning.connectors import services
from provisioning.connectors.models import Connector, GroupMapping
from provisioning.models import Application
from tests.factories import ApplicationFactory, GroupFactory

TOKEN = "downstream-test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ScimServer:
    def __init__(self, token: str = TOKEN) -> None:
        self.port = _free_port()
        self.token = token
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def start(self) -> None:
        command = Path(sys.executable).with_name("scim2-server")
        self.process = subprocess.Popen(
            [str(command), "--port", str(self.port), "--bearer-token", self.token],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # waiting for the process to listen
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("scim2-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def scim_server() -> Iterator[ScimServer]:
    server = ScimServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def running_server(scim_server: ScimServer) -> ScimServer:
    """The server, started again if a fault test left it stopped."""
    if scim_server.process is None or scim_server.process.poll() is not None:
        scim_server.start()
    return scim_server


class Downstream:
    """What the test reads from the downstream, over plain HTTP."""

    def __init__(self, server: ScimServer) -> None:
        self.http = httpx2.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def users(self, filter: str) -> list[dict[str, Any]]:
        return list(self.get("/Users", filter=filter).get("Resources", []))

    def user(self, user_id: str) -> dict[str, Any]:
        return self.get(f"/Users/{user_id}")

    def group_members(self, group_id: str) -> set[str]:
        return {m["value"] for m in self.get(f"/Groups/{group_id}").get("members", [])}

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(
            method, path, json=body, headers={"Content-Type": "application/scim+json"}
        )
        response.raise_for_status()
        return response.json() if response.content else None


@pytest.fixture
def downstream(running_server: ScimServer) -> Iterator[Downstream]:
    reader = Downstream(running_server)
    yield reader
    reader.http.close()


SENT = [
    "userName",
    "active",
    "displayName",
    "name.givenName",
    "name.familyName",
    "emails",
    "title",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
]


def make_connector(
    server: ScimServer, actor: Actor, *, name: str = "Slack", **fields: Any
) -> Connector:
    application = Application.objects.filter(name=name).first() or ApplicationFactory(name=name)
    fields.setdefault("scope", Connector.Scope.EVERYONE)
    connector = Connector(
        application_id=application.pk,
        base_url=server.url,
        attributes=fields.pop("attributes", SENT),
        **fields,
    )
    return services.connector_create(actor=actor, connector=connector, secret=TOKEN)


@pytest.fixture
def connector(running_server: ScimServer, actor: Actor) -> Connector:
    """Slack, provisioning every active person (most tests need no group to get an account)."""
    return make_connector(running_server, actor)


@pytest.fixture
def mapped_group(connector: Connector, actor: Actor) -> tuple[Any, GroupMapping]:
    """A portal group mapped to a downstream group with a name unique to the test."""
    group = GroupFactory()
    mapping = services.group_mapping_save(
        actor=actor,
        mapping=GroupMapping(
            connector=connector, group_id=group.pk, downstream_name=f"team-{uuid.uuid4().hex[:8]}"
        ),
    )
    return group, mapping
