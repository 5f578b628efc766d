"""Who did something, and through which door. Every service takes one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from compliance.audit.vocabulary import ActorKind, Channel

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest


class Client(Protocol):
    """What the audit trail needs of a calling system (a SCIM client): its key and name."""

    @property
    def pk(self) -> Any: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    identifier: str
    label: str
    channel: Channel
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    client_address: str | None = None

    @classmethod
    def staff(
        cls,
        user: AbstractBaseUser,
        *,
        channel: Channel = Channel.ADMIN,
        request: HttpRequest | None = None,
    ) -> Actor:
        return cls(
            kind=ActorKind.STAFF,
            identifier=str(user.pk),
            label=user.get_username(),
            channel=channel,
            **request_context(request),
        )

    @classmethod
    def scim_client(cls, client: Client, request: HttpRequest | None = None) -> Actor:
        return cls(
            kind=ActorKind.SCIM_CLIENT,
            identifier=str(client.pk),
            label=client.name,
            channel=Channel.SCIM,
            **request_context(request),
        )

    @classmethod
    def system(cls, task: str, *, channel: Channel = Channel.TASK) -> Actor:
        return cls(kind=ActorKind.SYSTEM, identifier=task, label=task, channel=channel)


def request_context(request: HttpRequest | None) -> dict[str, Any]:
    """The request id and client address of a web request, for the audit event."""
    if request is None:
        return {}
    request_id = getattr(request, "request_id", None) or uuid.uuid4().hex
    return {"request_id": request_id, "client_address": request.META.get("REMOTE_ADDR")}
