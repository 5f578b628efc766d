"""Whose failures count: the client's address comes from REMOTE_ADDR, or from
X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies vouch for it; and with Redis
(the shared failure counts) unreachable, every SCIM request is 503 with Retry-After while
failed authentications are still recorded."""

import socket
import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from compliance.audit.models import AuditEvent
from provisioning.scim.auth import failures_key
from tests.provisioning.scim.conftest import assert_scim_error

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.9"
ADDRESSES = ["203.0.113.7", "203.0.113.8", "198.51.100.1", "198.51.100.2", PROXY]


@pytest.fixture(autouse=True)
def _forget_these_failures():
    """Only these keys: the cache may be the Redis database other processes use."""
    keys = [failures_key(address) for address in ADDRESSES]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def attempt(token: str, *, remote: str = PROXY, forwarded: str | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    return Client(REMOTE_ADDR=remote).get("/scim/v2/Users", headers=headers)


def failure_addresses() -> list[str]:
    return sorted(
        AuditEvent.objects.filter(action="scim.auth_failed").values_list(
            "client_address", flat=True
        )
    )


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(settings):
    settings.SCIM_AUTH_FAILURE_LIMIT = 2
    for spoofed in ("203.0.113.7", "203.0.113.8"):
        assert_scim_error(attempt("abc.def", forwarded=spoofed), 401)

    # A new made-up address in each request does not buy new attempts.
    assert_scim_error(attempt("abc.def", forwarded="198.51.100.1"), 429)
    assert failure_addresses() == [PROXY, PROXY]


def test_behind_one_trusted_proxy_the_client_is_the_address_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SCIM_AUTH_FAILURE_LIMIT = 2
    # The first entry is the client's own claim; the proxy appended the last one.
    for _ in range(2):
        attempt("abc.def", forwarded="198.51.100.2, 203.0.113.7")

    assert_scim_error(attempt("abc.def", forwarded="198.51.100.2, 203.0.113.7"), 429)
    # Another client behind the same proxy is not throttled for the first one's failures.
    assert_scim_error(attempt("abc.def", forwarded="203.0.113.8"), 401)
    assert failure_addresses() == ["203.0.113.7", "203.0.113.7", "203.0.113.8"]  # sorted


def test_a_request_that_bypassed_the_trusted_proxy_keeps_its_own_address(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert_scim_error(attempt("abc.def", remote="198.51.100.1", forwarded="203.0.113.7"), 401)

    assert failure_addresses() == ["198.51.100.1"]


def test_a_forwarded_entry_that_is_no_address_is_not_taken(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert_scim_error(attempt("abc.def", forwarded="203.0.113.7, not-an-address"), 401)

    assert failure_addresses() == [PROXY]


def test_a_valid_token_behind_a_proxy_is_served_while_its_neighbours_are_throttled(scim, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SCIM_AUTH_FAILURE_LIMIT = 1
    attempt("abc.def", forwarded="203.0.113.7")
    assert_scim_error(attempt("abc.def", forwarded="203.0.113.7"), 429)

    assert attempt(scim.token, forwarded="203.0.113.7").status_code == 200


# --- Redis unreachable ------------------------------------------------------------------


@pytest.fixture
def redis_unreachable():
    """The cache pointed at a port nothing listens on (the shared Redis is left alone),
    and back before the other fixtures clean up their keys."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = {"BACKEND": "portal.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    with override_settings(CACHES={"default": closed}):
        yield


def test_with_redis_unreachable_a_valid_token_gets_503_with_retry_after(scim, redis_unreachable):
    response = scim.get("Users")

    assert_scim_error(response, 503)
    assert int(response["Retry-After"]) > 0


def test_with_redis_unreachable_a_bad_token_is_still_recorded(redis_unreachable):
    response = attempt("abc.def")

    assert_scim_error(response, 503)
    assert response["Retry-After"]
    assert failure_addresses() == [PROXY]


def test_with_redis_unreachable_failures_are_still_counted(redis_unreachable, settings):
    settings.SCIM_AUTH_FAILURE_LIMIT = 2
    for _ in range(2):
        assert_scim_error(attempt("abc.def", remote="198.51.100.2"), 503)

    assert_scim_error(attempt("abc.def", remote="198.51.100.2"), 429)


def test_a_redis_that_accepts_but_never_answers_is_503_within_its_timeout(scim):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete in the backlog; nothing ever replies
        port = silent.getsockname()[1]
        hung = {"BACKEND": "portal.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
        with override_settings(CACHES={"default": hung}):
            started = time.monotonic()
            response = scim.get("Users")
            elapsed = time.monotonic() - started

    assert_scim_error(response, 503)
    assert elapsed < 10
