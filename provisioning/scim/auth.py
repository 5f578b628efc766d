"""Bearer-token authentication of SCIM clients, with failures recorded and throttled per
address (the client's, behind trusted proxies: portal.proxies). A token is
`<prefix>.<secret>`: the prefix finds the row, the SHA-256 of the whole token is compared
in constant time."""

from typing import Any, NoReturn

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import ActorKind, Channel
from provisioning.models import ScimClient, ScimToken
from provisioning.scim.errors import ScimError
from provisioning.services.scim_clients import (
    scim_auth_refused,
    scim_client_use_record,
    scim_token_matches,
    token_cache_key,
    token_prefix,
)


def _failure_limit() -> int:
    return int(settings.SCIM_AUTH_FAILURE_LIMIT)


def _failure_window() -> int:
    return int(settings.SCIM_AUTH_FAILURE_WINDOW_SECONDS)


def _resolved_seconds() -> int:
    """How long a resolved token is reused without reading the database. Revoking a token
    or changing its client drops it at once (scim_clients); this bounds anything else."""
    return int(settings.SCIM_TOKEN_CACHE_SECONDS)


def failures_key(address: str) -> str:
    return f"scim:auth-failures:{address}"


def _stored_token(secret: str) -> ScimToken | None:
    """The unrevoked token `secret` is, read from the database; None if it is none."""
    token = (
        ScimToken.objects.select_related("client")
        .filter(prefix=token_prefix(secret), revoked_at__isnull=True)
        .first()
    )
    return token if token is not None and scim_token_matches(token, secret) else None


def _refusal(token: ScimToken | None, now: Any) -> str | None:
    """Why `token` does not authenticate now, as the audit trail records it; None if it
    does. Checked on every request, cached token or not: expiry needs no invalidation."""
    if token is None:
        return "bad_token"
    if not token.client.enabled:
        return "client_disabled"
    if any(moment and moment <= now for moment in (token.client.expires_at, token.expires_at)):
        return "expired"
    return None


# Failures counted while the shared cache cannot be reached, in this process alone: the
# request is refused anyway (503), but an attacker's tries during an outage still count.
_local_failures = LocMemCache("scim-auth-failures", {})


class ScimTokenAuthentication(BaseAuthentication):
    """Failures are counted per client address; past the limit, a failing attempt is
    answered 429 instead of 401. A valid token is always checked and always accepted:
    throttling an address must not lock out the identity provider that shares it (behind
    a proxy, a NAT) because someone else there sent bad tokens."""

    def authenticate(self, request: Request) -> tuple[ScimClient, ScimToken] | None:
        address = request.META.get("REMOTE_ADDR") or "unknown"
        scheme, _, secret = get_authorization_header(request).decode("latin-1").partition(" ")
        secret = secret.strip() if scheme.lower() == "bearer" else ""
        # The failure count and the resolved token in one round trip to the cache.
        keys = [failures_key(address), *([token_cache_key(secret)] if secret else [])]
        try:
            cached = cache.get_many(keys)
        except RedisError:
            self._without_cache(request, address, secret)
        throttled = (cached.get(keys[0]) or 0) >= _failure_limit()
        if not secret:
            if throttled:
                raise self._throttled()
            return None  # the permission answers 401 with WWW-Authenticate: Bearer
        token: ScimToken | None = cached.get(keys[1])
        if token is None:
            token = _stored_token(secret)
            if token is not None:
                cache.set(keys[1], token, timeout=_resolved_seconds())
        now = timezone.now()
        refusal = _refusal(token, now)
        if refusal is not None:
            self._fail(request, address, refusal, token, throttled=throttled)
        assert token is not None
        if self._record_use(token.client, address, now):
            cache.set(keys[1], token, timeout=_resolved_seconds())
        return token.client, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="scim"'

    @staticmethod
    def _throttled() -> exceptions.Throttled:
        return exceptions.Throttled(
            wait=_failure_window(), detail="Too many failed authentications."
        )

    def _without_cache(self, request: Request, address: str, secret: str) -> NoReturn:
        """The shared cache holds the failure counts every web process throttles by;
        without it no request is served (503 with Retry-After). A bad token is still
        checked, recorded in the audit trail and counted here, so that an outage is no
        window for guessing unseen."""
        token = _stored_token(secret) if secret else None
        refusal = _refusal(token, timezone.now()) if secret else None
        if refusal is not None:
            key = failures_key(address)
            _local_failures.add(key, 0, timeout=_failure_window())
            count = _local_failures.incr(key)
            self._record_failure(request, refusal, token.client if token else None)
            if count > _failure_limit():
                raise self._throttled()
        raise ScimError(503, "Authentication is temporarily unavailable; try again later.")

    def _fail(
        self,
        request: Request,
        address: str,
        reason: str,
        token: ScimToken | None,
        *,
        throttled: bool,
    ) -> NoReturn:
        key = failures_key(address)
        try:
            cache.add(key, 0, timeout=_failure_window())
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_failure_window())
        if throttled:
            # Past the limit, the attempts are counted but no longer each recorded: the
            # audit trail (and the alert on it) already holds the burst.
            raise self._throttled()
        self._record_failure(request, reason, token.client if token else None)
        raise exceptions.AuthenticationFailed("The bearer token is not valid.")

    @staticmethod
    def _record_failure(request: Request, reason: str, client: ScimClient | None) -> None:
        actor = (
            Actor.scim_client(client, request)
            if client
            else Actor(
                kind=ActorKind.SCIM_CLIENT,
                identifier="unknown",
                label="unknown",
                channel=Channel.SCIM,
                client_address=request.META.get("REMOTE_ADDR"),
            )
        )
        scim_auth_refused(actor=actor, client=client, reason=reason)

    @staticmethod
    def _record_use(client: ScimClient, address: str, now: Any) -> bool:
        """Record the client's last use from a real address; True if it was recorded (the
        caller then caches the client with its new last use)."""
        try:
            validate_ipv46_address(address)
        except ValidationError:
            return False  # not an address a proxy or test harness can vouch for
        return scim_client_use_record(client=client, address=address, now=now)


class IsScimClient(BasePermission):
    message = "A bearer token is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, ScimClient)
