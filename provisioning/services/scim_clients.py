"""SCIM clients and their bearer tokens. A token is shown once, when issued; only its
SHA-256 is kept, and a client may hold several valid tokens so that rotation needs no
downtime."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action, Outcome
from compliance.scim_agreements import AGREEMENTS
from provisioning.errors import InvalidValueError, UniquenessError
from provisioning.models import Deprovisioning, ScimClient, ScimToken

# Recording the last use on every request would write on every GET; once a minute is
# enough to show IT which clients are alive and from where.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ScimToken
    secret: str  # the bearer token itself; never stored


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_prefix(secret: str) -> str:
    return secret.partition(".")[0]


def token_cache_key(secret: str) -> str:
    """Where SCIM authentication keeps a token it has resolved (provisioning.scim.auth),
    named by the token's hash: the cache never holds the token itself."""
    return _cache_key(_token_hash(secret))


def _cache_key(secret_hash: str) -> str:
    return f"scim:token:{secret_hash}"


def _forget_resolved(secret_hashes: Iterable[str]) -> None:
    """Drop resolved tokens from the cache, now and again once the change commits, so that
    a request that read the old row in between cannot keep it: a revocation or a disabled
    client takes effect with the next request."""
    keys = [_cache_key(secret_hash) for secret_hash in secret_hashes]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def scim_client_create(
    *,
    actor: Actor,
    name: str,
    profile: str,
    mode: str = ScimClient.Mode.STRICT,
    expires_at: datetime | None = None,
    deprovisioning: str = "",
) -> ScimClient:
    """Create a SCIM client. Names are unique; the profile must be an agreed one. A blank
    deprovisioning policy follows the portal's default (SCIM_DEPROVISIONING)."""
    if not name.strip():
        raise InvalidValueError("name", "a client needs a name")
    if profile not in AGREEMENTS:
        raise InvalidValueError("profile", f"choose one of {', '.join(sorted(AGREEMENTS))}")
    if mode not in ScimClient.Mode.values:
        raise InvalidValueError("mode", "choose strict or drop")
    _check_deprovisioning(deprovisioning)
    with transaction.atomic():
        if ScimClient.objects.filter(name=name).exists():
            raise UniquenessError("name", name)
        client = ScimClient.objects.create(
            name=name,
            profile=profile,
            mode=mode,
            expires_at=expires_at,
            deprovisioning=deprovisioning,
        )
        event_record(
            actor=actor,
            action=Action.SCIM_CLIENT_CREATED,
            target=client,
            data={
                "name": name,
                "profile": profile,
                "mode": mode,
                "deprovisioning": client.deprovisioning_policy.value,
            },
        )
    return client


def scim_client_update(*, client: ScimClient, actor: Actor, changes: dict[str, object]) -> None:
    """Change a client's profile, mode, deprovisioning policy, enabled flag or expiry;
    recorded with what changed."""
    allowed = {"name", "profile", "mode", "deprovisioning", "enabled", "expires_at"}
    if unknown := set(changes) - allowed:
        raise InvalidValueError(", ".join(sorted(unknown)), "cannot be changed")
    if "profile" in changes and changes["profile"] not in AGREEMENTS:
        raise InvalidValueError("profile", f"choose one of {', '.join(sorted(AGREEMENTS))}")
    if "deprovisioning" in changes:
        _check_deprovisioning(changes["deprovisioning"])
    with transaction.atomic():
        ScimClient.objects.filter(pk=client.pk).update(**changes)
        _forget_resolved(client.tokens.values_list("secret_hash", flat=True))
        event_record(
            actor=actor,
            action=Action.SCIM_CLIENT_UPDATED,
            target=client,
            data={name: str(value) for name, value in sorted(changes.items())},
        )


def _check_deprovisioning(policy: object) -> None:
    if policy != "" and policy not in Deprovisioning.values:
        choices = ", ".join(["blank (the default)", *Deprovisioning.values])
        raise InvalidValueError("deprovisioning", f"choose one of {choices}")


def scim_token_issue(
    *, client: ScimClient, actor: Actor, expires_at: datetime | None = None
) -> IssuedToken:
    """Issue a new bearer token for a client. Existing tokens stay valid until revoked."""
    prefix = secrets.token_hex(4)  # public: only finds the row; the rest is the secret
    secret = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ScimToken.objects.create(
            client=client, prefix=prefix, secret_hash=_token_hash(secret), expires_at=expires_at
        )
        event_record(
            actor=actor,
            action=Action.SCIM_TOKEN_CREATED,
            target=token,
            data={"client": str(client.pk), "prefix": prefix},
        )
    return IssuedToken(token=token, secret=secret)


def scim_token_revoke(*, token: ScimToken, actor: Actor) -> ScimToken:
    """Revoke a token at once. Revoking twice changes nothing."""
    with transaction.atomic():
        locked = ScimToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        _forget_resolved([locked.secret_hash])
        event_record(
            actor=actor,
            action=Action.SCIM_TOKEN_REVOKED,
            target=locked,
            data={"client": str(locked.client_id), "prefix": locked.prefix},
        )
    return locked


def scim_token_matches(token: ScimToken, secret: str) -> bool:
    return hmac.compare_digest(token.secret_hash, _token_hash(secret))


def scim_client_use_record(*, client: ScimClient, address: str, now: datetime) -> bool:
    """Record a client's last use and address, if the one known is older than a minute or
    from another address; True if it was (the caller then caches the client with its new
    last use). One UPDATE, none within the minute; never an audit event: this is
    bookkeeping on every SCIM request, and what a request changes records its own event."""
    stale = client.last_used_at is None or now - client.last_used_at > LAST_USED_GRANULARITY
    if not stale and client.last_used_address == address:
        return False
    # The row's own values decide too: another process may have recorded this minute.
    ScimClient.objects.filter(pk=client.pk).filter(
        Q(last_used_at__isnull=True)
        | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
        | ~Q(last_used_address=address)
    ).update(last_used_at=now, last_used_address=address)
    client.last_used_at, client.last_used_address = now, address
    return True


def scim_auth_refused(*, actor: Actor, client: ScimClient | None, reason: str) -> None:
    """Record a refused SCIM authentication, denied, with why (bad_token,
    client_disabled, expired); against its client when the token named one."""
    event_record(
        actor=actor,
        action=Action.SCIM_AUTH_FAILED,
        target=client or ("provisioning.scimclient", ""),
        data={"reason": reason},
        outcome=Outcome.DENIED,
    )


def scim_attributes_dropped(
    *, client: ScimClient, actor: Actor, attributes: list[str], resource_type: str
) -> None:
    """Record that personal attributes outside a client's agreement were dropped from its
    request. The names only: their values are exactly what must not be kept."""
    events_record(
        actor=actor,
        entries=[
            Entry(
                Action.SCIM_ATTRIBUTE_DROPPED,
                client,
                data={"attribute": attribute, "resourceType": resource_type},
            )
            for attribute in attributes
        ],
    )
