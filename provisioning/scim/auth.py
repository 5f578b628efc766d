"""Bearer-token authentication of SCIM clients, with failures recorded and throttled per
address. A token is `<prefix>.<secret>`: the prefix finds the row, the SHA-256 of the whole
token is compared in constant time."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind, Channel, Outcome
from provisioning.models import ScimClient, ScimToken
from provisioning.services.scim_clients import (
    scim_token_matches,
    token_cache_key,
    token_prefix,
)

# Recording the last use on every request would write on every GET; once a minute is
# enough to show IT which clients are alive and from where.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _failure_limit() -> int:
    return int(getattr(settings, "SCIM_AUTH_FAILURE_LIMIT", 10))


def _failure_window() -> int:
    return int(getattr(settings, "SCIM_AUTH_FAILURE_WINDOW_SECONDS", 300))


def _resolved_seconds() -> int:
    """How long a resolved token is reused without reading the database. Revoking a token
    or changing its client drops it at once (scim_clients); this bounds anything else."""
    return int(getattr(settings, "SCIM_TOKEN_CACHE_SECONDS", 30))


def failures_key(address: str) -> str:
    return f"scim:auth-failures:{address}"


class ScimTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ScimClient, ScimToken] | None:
        address = request.META.get("REMOTE_ADDR") or "unknown"
        scheme, _, secret = get_authorization_header(request).decode("latin-1").partition(" ")
        secret = secret.strip() if scheme.lower() == "bearer" else ""
        # The failure count and the resolved token in one round trip to the cache.
        keys = [failures_key(address), *([token_cache_key(secret)] if secret else [])]
        cached = cache.get_many(keys)
        if (cached.get(keys[0]) or 0) >= _failure_limit():
            raise exceptions.Throttled(
                wait=_failure_window(), detail="Too many failed authentications."
            )
        if not secret:
            return None  # the permission answers 401 with WWW-Authenticate: Bearer
        token: ScimToken | None = cached.get(keys[1])
        if token is None:
            token = (
                ScimToken.objects.select_related("client")
                .filter(prefix=token_prefix(secret), revoked_at__isnull=True)
                .first()
            )
            if token is None or not scim_token_matches(token, secret):
                self._fail(request, address, "bad_token", None)
            assert token is not None
            cache.set(keys[1], token, timeout=_resolved_seconds())
        client = token.client
        now = timezone.now()
        # Checked on every request, cached or not: expiry needs no invalidation.
        if not client.enabled:
            self._fail(request, address, "client_disabled", client)
        if any(moment and moment <= now for moment in (client.expires_at, token.expires_at)):
            self._fail(request, address, "expired", client)
        if self._record_use(client, address, now):
            cache.set(keys[1], token, timeout=_resolved_seconds())
        return client, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="scim"'

    def _fail(self, request: Request, address: str, reason: str, client: ScimClient | None) -> None:
        key = failures_key(address)
        cache.add(key, 0, timeout=_failure_window())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_failure_window())
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
        event_record(
            actor=actor,
            action=Action.SCIM_AUTH_FAILED,
            target=client or ("provisioning.scimclient", ""),
            data={"reason": reason},
            outcome=Outcome.DENIED,
        )
        raise exceptions.AuthenticationFailed("The bearer token is not valid.")

    @staticmethod
    def _record_use(client: ScimClient, address: str, now: Any) -> bool:
        """Record the client's last use if the one known is stale; True if it was (the
        caller then caches the client with its new last use)."""
        try:
            validate_ipv46_address(address)
        except ValidationError:
            return False  # not an address a proxy or test harness can vouch for
        stale = client.last_used_at is None or now - client.last_used_at > LAST_USED_GRANULARITY
        if not stale and client.last_used_address == address:
            return False
        ScimClient.objects.filter(pk=client.pk).filter(
            Q(last_used_at__isnull=True)
            | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
            | ~Q(last_used_address=address)
        ).update(last_used_at=now, last_used_address=address)
        client.last_used_at, client.last_used_address = now, address
        return True


class IsScimClient(BasePermission):
    message = "A bearer token is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, ScimClient)
