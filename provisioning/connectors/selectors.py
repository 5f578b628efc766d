"""Reads for outbound provisioning: what a person should have downstream, and how the
connectors are doing."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Count, Exists, Q, QuerySet

from compliance.outbox.selectors import waiting_by_topic
from compliance.ropa import Processor, Safeguard
from provisioning.connectors.models import Connector, DownstreamAccount, GroupMapping
from provisioning.models import AccessGrant, Entitlement, Person


def person_entitlements(person: Person) -> QuerySet[Entitlement]:
    """The entitlements the person holds now: those granted directly and those of the roles
    of their ACTIVE grants. Everything downstream reads entitlements through here and
    nowhere else."""
    active = AccessGrant.objects.filter(person=person, status=AccessGrant.Status.ACTIVE)
    return Entitlement.objects.filter(
        Q(pk__in=active.values("entitlement_id"))
        | Q(pk__in=active.filter(role__isnull=False).values("role__entitlements"))
    )


def desired_groups(person: Person, connector: Connector) -> QuerySet[GroupMapping]:
    """The downstream groups the person should be in at this connector: those mapped from
    the portal groups they are a member of and from the entitlements they hold. A person
    who has left is in none."""
    if not person.active:
        return GroupMapping.objects.none()
    held = person_entitlements(person).values("pk")
    return (
        GroupMapping.objects.filter(connector=connector)
        .filter(Q(group__memberships__person=person) | Q(entitlement__in=held))
        .exclude(Exists(revoked_accounts(connector).filter(person=person)))
        .distinct()
    )


def revoked_accounts(connector: Connector | UUID) -> QuerySet[DownstreamAccount]:
    """The accounts an access review revoked at this connector: their people are out of
    its scope, whatever they hold."""
    return DownstreamAccount.objects.filter(connector=connector, revoked_at__isnull=False)


def withheld(connector: Connector) -> Q:
    """The people about whom nothing is pushed to this connector, as a filter on Person:
    those whose processing is restricted (GDPR Art. 18) and, when the application sells or
    shares the data, those who opted out of that (CCPA §1798.120)."""
    rule = Q(restricted_at__isnull=False)
    if connector.sold_or_shared:
        rule |= Q(sale_opt_out_at__isnull=False)
    return rule


def push_withheld(person: Person, connector: Connector) -> bool:
    """withheld(), for one person already read."""
    return person.restricted_at is not None or (
        connector.sold_or_shared and person.sale_opt_out_at is not None
    )


def in_scope(person: Person, connector: Connector) -> bool:
    """Whether the person should have an account at this connector: active, and either the
    connector provisions everyone or the person holds one of its mapped groups (data
    minimisation: an application receives only the people who use it)."""
    if not person.active:
        return False
    if connector.scope == Connector.Scope.EVERYONE:
        return not revoked_accounts(connector).filter(person=person).exists()
    return desired_groups(person, connector).exists()


def people_in_scope(connector: Connector) -> QuerySet[Person]:
    """Everyone in the connector's scope (in_scope, as a query)."""
    active = Person.objects.filter(active=True).exclude(
        pk__in=revoked_accounts(connector).values("person_id")
    )
    if connector.scope == Connector.Scope.EVERYONE:
        return active
    # One subquery for every mapped entitlement, however many the connector maps.
    holders = (
        AccessGrant.objects.filter(status=AccessGrant.Status.ACTIVE)
        .filter(
            Q(role__entitlements__downstream_mappings__connector=connector)
            | Q(entitlement__downstream_mappings__connector=connector)
        )
        .values("person_id")
    )
    mapped = Q(memberships__group__downstream_mappings__connector=connector) | Q(pk__in=holders)
    return active.filter(pk__in=Person.objects.filter(mapped).values("pk"))


def people_unprovisioned(connector: Connector) -> QuerySet[Person]:
    """The people in scope who have no account downstream yet."""
    provisioned = DownstreamAccount.objects.filter(connector=connector).exclude(downstream_id="")
    return people_in_scope(connector).exclude(pk__in=provisioned.values("person_id"))


def mapping_members(mapping: GroupMapping) -> QuerySet[Person]:
    """The active people who should be in the mapping's downstream group."""
    revoked = revoked_accounts(mapping.connector_id).values("person_id")
    if mapping.group_id is not None:
        return Person.objects.filter(active=True, memberships__group_id=mapping.group_id).exclude(
            pk__in=revoked
        )
    return entitlement_holders(mapping.entitlement_id).filter(active=True).exclude(pk__in=revoked)


def entitlement_holders(entitlement_id: UUID | None) -> QuerySet[Person]:
    """The people who hold the entitlement: the reverse of person_entitlements (an ACTIVE
    grant of it, or of a role bundling it)."""
    grants = AccessGrant.objects.filter(status=AccessGrant.Status.ACTIVE).filter(
        Q(entitlement=entitlement_id) | Q(role__entitlements=entitlement_id)
    )
    return Person.objects.filter(pk__in=grants.values("person_id"))


def enabled_connector_ids() -> list[UUID]:
    """Read on every change of a person (receivers): in no order, so without the
    application the connectors are listed by."""
    return list(Connector.objects.filter(enabled=True).order_by().values_list("pk", flat=True))


UNDECLARED = "not declared: set it on the connector"


def connector_processors() -> list[Processor]:
    """Each connector's application as a processor for the record of processing, in one
    query; a connector that has not declared its processor says so rather than vanish."""
    return [
        Processor(
            name=connector.processor or UNDECLARED,
            service=connector.application.name,
            country=connector.processor_country or UNDECLARED,
            safeguard=str(Safeguard(connector.transfer_safeguard).label),
        )
        for connector in Connector.objects.select_related("application").order_by(
            "application__name"
        )
    ]


def connectors_with_health() -> QuerySet[Connector]:
    """Connectors with the number of accounts in each push state, counted in SQL."""
    statuses = DownstreamAccount.Status
    return Connector.objects.select_related("application").annotate(
        healthy_total=Count("accounts", filter=Q(accounts__status=statuses.HEALTHY), distinct=True),
        retrying_total=Count(
            "accounts", filter=Q(accounts__status=statuses.RETRYING), distinct=True
        ),
        dead_total=Count(
            "accounts", filter=Q(accounts__status=statuses.DEAD_LETTERED), distinct=True
        ),
        orphan_total=Count("orphans", distinct=True),
    )


TOPIC_PREFIX = "connector:"


def connector_topic(connector_id: UUID | str) -> str:
    """The outbox topic of a connector's pushes, by which their backlog is counted."""
    return f"{TOPIC_PREFIX}{connector_id}"


@dataclass(frozen=True)
class PushesWaiting:
    connector: Connector
    count: int
    oldest: datetime


def pushes_waiting() -> list[PushesWaiting]:
    """Per connector, the pushes written to the outbox that the broker has not taken yet,
    and when the oldest was written: one query, and one more when any wait."""
    by_topic = waiting_by_topic(topic_prefix=TOPIC_PREFIX)
    if not by_topic:
        return []
    ids = {UUID(topic.removeprefix(TOPIC_PREFIX)): topic for topic in by_topic}
    connectors = Connector.objects.select_related("application").in_bulk(list(ids))
    return sorted(
        (
            PushesWaiting(connectors[pk], *by_topic[topic])
            for pk, topic in ids.items()
            if pk in connectors
        ),
        key=lambda waiting: waiting.oldest,
    )
