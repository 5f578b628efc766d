"""OAuth 2.0 client credentials: the connector fetches a token from the token endpoint and
pushes with it. The token endpoint is a minimal authorization server run in a thread."""

import base64
import json
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from provisioning.connectors import services
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.connectors.tasks import push_person
from tests.factories import PersonFactory
from tests.provisioning.connectors.conftest import TOKEN, make_connector

pytestmark = pytest.mark.django_db
CLIENT = ("portal-client", "portal-client-secret")


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def token_endpoint(environ, start_response):
    """Grants the downstream's token to CLIENT, and nothing to anyone else."""
    expected = "Basic " + base64.b64encode(":".join(CLIENT).encode()).decode()
    if environ.get("HTTP_AUTHORIZATION") != expected:
        start_response("401 Unauthorized", [("Content-Type", "application/json")])
        return [b'{"error": "invalid_client"}']
    body = json.dumps({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body.encode()]


@pytest.fixture(scope="module")
def token_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, token_endpoint, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/token"
    server.shutdown()


def oauth_connector(server, actor, token_url, secret):
    connector = make_connector(
        server, actor, auth=Connector.Auth.OAUTH, token_url=token_url, client_id=CLIENT[0]
    )
    return services.connector_update(actor=actor, connector=connector, secret=secret)


def test_a_push_authenticates_with_a_client_credentials_token(
    actor, running_server, downstream, token_url
):
    connector = oauth_connector(running_server, actor, token_url, CLIENT[1])
    person = PersonFactory()

    assert push_person(str(connector.pk), str(person.pk)) == "pushed"

    account = DownstreamAccount.objects.get(person_id=person.pk)
    assert downstream.user(account.downstream_id)["userName"] == person.user_name


def test_a_refused_client_is_dead_lettered_at_once_with_a_clear_error(
    actor, running_server, token_url
):
    connector = oauth_connector(running_server, actor, token_url, "wrong-secret")
    person = PersonFactory()

    assert push_person(str(connector.pk), str(person.pk)) == "dead-lettered"

    account = DownstreamAccount.objects.get(person_id=person.pk)
    assert account.last_error == (
        "the OAuth token endpoint refused the client credentials (HTTP 401)"
    )
