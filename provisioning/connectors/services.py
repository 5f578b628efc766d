"""Configuring connectors: every write here is one transaction with its audit event.
Secrets are sealed before they reach the database and never recorded."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from scim2_models import Schema, ServiceProviderConfig

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action
from provisioning import signals
from provisioning.connectors import attributes, credentials
from provisioning.connectors.client import discovery_client
from provisioning.connectors.client import downstream as translated_errors
from provisioning.connectors.errors import AttributeNotAllowedError, ConnectorConfigurationError
from provisioning.connectors.models import (
    Connector,
    DownstreamAccount,
    DownstreamOrphan,
    GroupMapping,
)
from provisioning.connectors.transport import connector_transport_check

FEATURES = ("patch", "bulk", "filter", "change_password", "sort", "etag")


def connector_check(connector: Connector) -> None:
    """Raise unless its addresses are encrypted (https://, or loopback), every mapped
    attribute may go to this application (the inventory's recipients and the application's
    allow-list) and the required ones are allowed."""
    connector_transport_check(connector)
    refused = attributes.refused_attributes(connector.application, list(connector.attributes))
    if refused:
        raise AttributeNotAllowedError(refused, connector.application.name)
    missing = set(attributes.REQUIRED) - attributes.allowed_attributes(connector.application)
    if missing:
        raise ConnectorConfigurationError(
            f"{connector.application.name} has no allow-list for {', '.join(sorted(missing))} "
            "in compliance/inventory.py PROVISIONED_APPLICATIONS"
        )


def connector_create(*, actor: Actor, connector: Connector, secret: str) -> Connector:
    """Connect an application. The secret is stored sealed. A connector without a secret,
    or mapping an attribute the inventory does not allow for the application, is refused."""
    return _connector_write(actor, connector, secret, creating=True)


def connector_update(*, actor: Actor, connector: Connector, secret: str = "") -> Connector:
    """Change a connector. A new secret replaces the stored one, sealed; an empty one keeps
    it. Mapping an attribute the inventory does not allow for the application is refused."""
    return _connector_write(actor, connector, secret, creating=False)


def _connector_write(
    actor: Actor, connector: Connector, secret: str, *, creating: bool
) -> Connector:
    connector_check(connector)
    if secret:
        connector.secret_sealed = credentials.seal(secret, connector_id=connector.pk)
    if not connector.secret_sealed:
        raise ConnectorConfigurationError("a bearer token or client secret is required")
    with transaction.atomic():
        connector.save()
        event_record(
            actor=actor,
            action=Action.APPLICATION_UPDATED,
            target=connector.application,
            data={
                "connector": "created" if creating else "changed",
                "base_url": connector.base_url,
                "auth": connector.auth,
                "attributes": sorted(connector.attributes),
                "deprovision": connector.deprovision,
                "enabled": connector.enabled,
                "processor": connector.processor,
                "processor_country": connector.processor_country,
                "transfer_safeguard": connector.transfer_safeguard,
                "secret_replaced": bool(secret),
            },
        )
    return connector


def connector_delete(*, actor: Actor, connector: Connector) -> None:
    """Disconnect an application: its group mappings, push state and orphans go with the
    connector; nothing downstream is changed."""
    with transaction.atomic():
        event_record(
            actor=actor,
            action=Action.APPLICATION_UPDATED,
            target=connector.application,
            data={"connector": "deleted", "base_url": connector.base_url},
        )
        connector.delete()


def orphan_dismiss(*, actor: Actor, orphan: DownstreamOrphan) -> None:
    """Forget a downstream account that matches no person, once IT has dealt with it
    downstream. The account itself is not touched: if it is still there, the next
    reconciliation reports it again."""
    with transaction.atomic():
        event_record(
            actor=actor,
            action=Action.PUSH_ORPHAN_DISMISSED,
            target=orphan.connector,
            data={"connector": str(orphan.connector_id), "downstream_id": orphan.downstream_id},
        )
        orphan.delete()


def accounts_revoke(
    *, account_ids: Collection[int], actor: Actor, reason: str
) -> list[DownstreamAccount]:
    """Take people out of an application by its account, not by what brought them in: the
    account is marked revoked, so the person stays out of the connector's scope whatever
    groups and entitlements they hold, and the next push deactivates or deletes it as the
    connector says. One event per account; accounts already revoked are left as they are."""
    return _accounts_mark(account_ids, actor, revoked=timezone.now(), data={"reason": reason})


def accounts_restore(*, account_ids: Collection[int], actor: Actor) -> list[DownstreamAccount]:
    """Undo a review's revocation: the people are in the connector's scope again as their
    groups and entitlements say, and a push provisions them. One event per account."""
    return _accounts_mark(account_ids, actor, revoked=None, data={})


def _accounts_mark(
    account_ids: Collection[int], actor: Actor, *, revoked: datetime | None, data: dict[str, str]
) -> list[DownstreamAccount]:
    """Set or clear the accounts' revocation (those not already so), record it, and push
    the people: their scope at the connector changed."""
    with transaction.atomic():
        accounts = list(
            DownstreamAccount.objects.select_for_update(of=("self",))
            .filter(pk__in=account_ids, revoked_at__isnull=revoked is not None)
            .order_by("pk")
        )
        if not accounts:
            return []
        DownstreamAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(revoked_at=revoked)
        action = Action.PUSH_ACCOUNT_REVOKED if revoked else Action.PUSH_ACCOUNT_RESTORED
        events_record(
            actor=actor,
            entries=[
                Entry(
                    action,
                    ("provisioning.Connector", str(account.connector_id)),
                    subject_id=str(account.person_id),
                    data={"connector": str(account.connector_id), **data},
                )
                for account in accounts
            ],
        )
        signals.access_changed_on_commit(account.person_id for account in accounts)
    for account in accounts:
        account.revoked_at = revoked
    return accounts


def group_mapping_save(*, actor: Actor, mapping: GroupMapping) -> GroupMapping:
    """Map a portal group or an entitlement to a downstream group (by displayName)."""
    with transaction.atomic():
        mapping.save()
        event_record(
            actor=actor,
            action=Action.APPLICATION_UPDATED,
            target=mapping.connector.application,
            data={
                "group_mapping": str(mapping.pk),
                "group": str(mapping.group_id or ""),
                "entitlement": str(mapping.entitlement_id or ""),
                "downstream_group": mapping.downstream_name,
            },
        )
    return mapping


def group_mapping_delete(*, actor: Actor, mapping: GroupMapping) -> None:
    with transaction.atomic():
        event_record(
            actor=actor,
            action=Action.APPLICATION_UPDATED,
            target=mapping.connector.application,
            data={"group_mapping_deleted": str(mapping.pk)},
        )
        mapping.delete()


@dataclass(frozen=True)
class ConnectionReport:
    features: list[str]
    schemas: list[str]
    authentication: list[str]

    def __str__(self) -> str:
        return (
            f"supports {', '.join(self.features) or 'no optional feature'}; "
            f"schemas: {', '.join(self.schemas) or 'none'}; "
            f"authentication: {', '.join(self.authentication) or 'not announced'}"
        )


def connection_test(*, connector: Connector) -> ConnectionReport:
    """Read the downstream's /ServiceProviderConfig and /Schemas (a read: nothing changes
    on either side). Raises DownstreamUnavailable, DownstreamRefused or a configuration
    error with a message fit for IT."""
    scim = discovery_client(connector)
    with translated_errors():
        config: Any = scim.query(ServiceProviderConfig)
        listed: Any = scim.query(Schema)
    features = [name for name in FEATURES if getattr(getattr(config, name, None), "supported", 0)]
    schemas = sorted(str(schema.id) for schema in (getattr(listed, "resources", None) or ()))
    authentication = [
        str(scheme.name or scheme.type) for scheme in (config.authentication_schemes or ())
    ]
    return ConnectionReport(features=features, schemas=schemas, authentication=authentication)
