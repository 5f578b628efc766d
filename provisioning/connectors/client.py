"""Talking SCIM to a downstream: scim2-client over a pooled httpx2 client per connector,
with downstream failures sorted into worth-retrying and not."""

import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx2
from pydantic import ValidationError
from scim2_client import SCIMClientException
from scim2_client.client import describe_resource_models
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    URN,
    EnterpriseUser,
    Extension,
    Group,
    SCIMException,
    ScimProvider,
    User,
)

from provisioning.connectors import credentials
from provisioning.connectors.errors import (
    ConnectorConfigurationError,
    DownstreamRefused,
    DownstreamUnavailable,
)
from provisioning.connectors.models import Connector
from provisioning.connectors.transport import connector_transport_check


class Usage(Extension):
    """When the person last signed in to the downstream. SCIM's schemas have no such
    attribute: a downstream (or an adapter in front of it) that knows serves this
    extension, and reconciliation keeps what it says; anywhere else last use is unknown."""

    __schema__ = URN("urn:provisioning-portal:params:scim:schemas:extension:usage:2.0:User")

    last_login: datetime | None = None


UserResource = User[EnterpriseUser | Usage]
_MODELS, _RESOURCE_TYPES = describe_resource_models((UserResource, Group))
TIMEOUT = httpx2.Timeout(10.0, connect=5.0)
LIMITS = httpx2.Limits(max_connections=10, max_keepalive_connections=5)
# 408, 429 and 5xx are the downstream's trouble, not the request's: retry later.
RETRYABLE_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))

_pool: dict[UUID, tuple[datetime, httpx2.Client]] = {}
_pool_lock = threading.Lock()


class ClientCredentials(httpx2.Auth):
    """OAuth 2.0 client credentials: fetch a token, reuse it until it expires, fetch a new
    one once if the downstream answers 401."""

    def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.token = ""
        self.expires = 0.0

    def _fetch(self) -> None:
        response = httpx2.post(
            self.token_url,
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
            timeout=TIMEOUT,
        )
        if response.status_code in (400, 401, 403):
            raise ConnectorConfigurationError(
                f"the OAuth token endpoint refused the client credentials "
                f"(HTTP {response.status_code})"
            )
        response.raise_for_status()
        body = response.json()
        self.token = body["access_token"]
        self.expires = time.monotonic() + float(body.get("expires_in", 300)) - 30

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response]:
        if not self.token or time.monotonic() >= self.expires:
            self._fetch()
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self._fetch()
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


def _http_client(connector: Connector) -> httpx2.Client:
    # Checked again here: a connector saved while DEBUG was on keeps its http:// address.
    connector_transport_check(connector)
    secret = credentials.unseal(connector.secret_sealed, connector_id=connector.pk)
    auth: httpx2.Auth | None = None
    headers = {"Accept": "application/scim+json"}
    if connector.auth == Connector.Auth.OAUTH:
        auth = ClientCredentials(connector.token_url, connector.client_id, secret)
    else:
        headers["Authorization"] = f"Bearer {secret}"
    return httpx2.Client(
        base_url=connector.base_url.rstrip("/"),
        headers=headers,
        auth=auth,
        timeout=TIMEOUT,
        limits=LIMITS,
    )


def scim_client(connector: Connector) -> SyncSCIMClient:
    """A SCIM client on the connector's connection pool; the pool is rebuilt when the
    connector's settings change."""
    with _pool_lock:
        cached = _pool.get(connector.pk)
        if cached is None or cached[0] != connector.modified:
            if cached is not None:
                cached[1].close()
            cached = (connector.modified, _http_client(connector))
            _pool[connector.pk] = cached
    provider = ScimProvider(models=_MODELS, resource_types=_RESOURCE_TYPES)
    return SyncSCIMClient(cached[1], provider=provider)


def discovery_client(connector: Connector) -> SyncSCIMClient:
    """A client that knows nothing of the downstream yet, for discovery."""
    with _pool_lock:
        cached = _pool.get(connector.pk)
    http = cached[1] if cached and cached[0] == connector.modified else _http_client(connector)
    return SyncSCIMClient(http)


def describe_error(error: BaseException) -> str:
    """An error message fit for logs and the admin: kind and status, never the payload
    (a downstream's detail may quote the person's data back)."""
    status = getattr(error, "status", None) or getattr(
        getattr(error, "source", None), "status_code", None
    )
    cause = error.__cause__
    reason = type(cause).__name__ if isinstance(cause, httpx2.HTTPError) else ""
    parts = [type(error).__name__, f"HTTP {status}" if status else "", reason]
    return " ".join(part for part in parts if part)


@contextmanager
def downstream() -> Iterator[None]:
    """Translate the client's exceptions into DownstreamUnavailable (retry) or
    DownstreamRefused (do not)."""
    try:
        yield
    except SCIMException as error:
        status = int(getattr(error, "status", 0) or 0)
        kind = DownstreamUnavailable if status in RETRYABLE_STATUSES else DownstreamRefused
        raise kind(describe_error(error), status=status or None) from error
    except SCIMClientException as error:
        answered = getattr(getattr(error, "source", None), "status_code", None)
        retryable = answered is None or answered in RETRYABLE_STATUSES
        kind = DownstreamUnavailable if retryable else DownstreamRefused
        raise kind(describe_error(error), status=answered) from error
    except httpx2.HTTPError as error:  # the OAuth token endpoint
        raise DownstreamUnavailable(describe_error(error)) from error
    except ValidationError as error:
        # The portal's own data does not fit the SCIM schema (an e-mail address the SCIM
        # models refuse, say): name the attributes, never their values.
        where = sorted({".".join(map(str, e["loc"])) for e in error.errors()})
        raise DownstreamRefused(f"not valid SCIM: {', '.join(where)}") from None


def as_document(resource: Any) -> dict[str, Any]:
    if isinstance(resource, dict):
        return resource
    document: dict[str, Any] = resource.model_dump()
    return document
