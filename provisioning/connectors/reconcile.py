"""Reconciliation: read what a downstream application really holds, repair drift from the
portal's desired state (attributes, active flag, group members), and report the downstream
accounts that match no person, without deleting them."""

import logging
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning.connectors import attributes, downstream
from provisioning.connectors.client import downstream as translated_errors
from provisioning.connectors.client import scim_client
from provisioning.connectors.credentials import digest
from provisioning.connectors.models import (
    Connector,
    DownstreamAccount,
    DownstreamOrphan,
    GroupMapping,
)
from provisioning.connectors.selectors import in_scope, mapping_members, people_unprovisioned
from provisioning.connectors.sync import ACTOR, person_push
from provisioning.models import Person

logger = logging.getLogger(__name__)
# Accounts whose record of pushed groups a group's repair rewrites, per UPDATE.
CHUNK = 500


@dataclass
class ReconcileReport:
    users_checked: int = 0
    users_repaired: int = 0
    users_recreated: int = 0
    users_created: int = 0
    orphans: int = 0
    groups_repaired: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in self.as_dict().items())


def _match(document: dict[str, Any]) -> Person | None:
    """The person a downstream account belongs to: by the portal's externalId, else userName."""
    try:
        person_id = UUID(str(document.get("externalId") or ""))
    except ValueError:
        person_id = None
    people = Person.objects.prefetch_related("emails", "phone_numbers")
    if person_id is not None and (person := people.filter(pk=person_id).first()):
        return person
    user_name = str(document.get("userName") or "")
    return people.filter(user_name__iexact=user_name).first() if user_name else None


def connector_reconcile(*, connector_id: UUID) -> ReconcileReport:
    """Compare every downstream user and mapped group with the desired state and repair the
    differences. Raises DownstreamUnavailable if the downstream cannot be read."""
    connector = Connector.objects.select_related("application").get(pk=connector_id)
    report = ReconcileReport()
    scim = scim_client(connector)
    seen: set[str] = set()
    with translated_errors():
        start = 1
        while True:
            page, total = downstream.users_page(scim, start=start)
            for document in page:
                seen.add(str(document["id"]))
                _user_reconcile(scim, connector, document, report)
            start += len(page)
            if not page or start > total:
                break
        for account in (
            DownstreamAccount.objects.filter(connector=connector)
            .exclude(downstream_id="")
            .exclude(downstream_id__in=seen)
            .iterator()
        ):
            # Deleted downstream behind the portal's back: push it again from scratch.
            DownstreamAccount.objects.filter(pk=account.pk).update(
                downstream_id="", pushed_digests={}, pushed_groups=[]
            )
            person_push(connector_id=connector.pk, person_id=account.person_id)
            report.users_recreated += 1
        for person_id in people_unprovisioned(connector).values_list("pk", flat=True).iterator():
            person_push(connector_id=connector.pk, person_id=person_id)
            report.users_created += 1
        for mapping in GroupMapping.objects.filter(connector=connector):
            report.groups_repaired += _group_reconcile(scim, connector, mapping)
    with transaction.atomic():
        event_record(
            actor=ACTOR,
            action=Action.PUSH_RECONCILED,
            target=connector,
            data={"connector": str(connector.pk), **report.as_dict()},
        )
    logger.info("reconciled connector=%s %s", connector.pk, report)
    return report


def _user_reconcile(
    scim: Any, connector: Connector, document: dict[str, Any], report: ReconcileReport
) -> None:
    report.users_checked += 1
    downstream_id = str(document["id"])
    person = _match(document)
    if person is None:
        DownstreamOrphan.objects.update_or_create(
            connector=connector,
            downstream_id=downstream_id,
            defaults={"user_name": str(document.get("userName") or "")[:255]},
        )
        report.orphans += 1
        return
    DownstreamOrphan.objects.filter(connector=connector, downstream_id=downstream_id).delete()
    wanted = in_scope(person, connector)
    desired = attributes.desired_values(person, connector, active=wanted)
    if not wanted and connector.deprovision == Connector.Deprovision.DELETE:
        desired = {}  # a deleted leaver found downstream again is removed by the push below
    actual = attributes.downstream_values(document, list(desired))
    replace = {p: v for p, v in desired.items() if v is not None and actual[p] != v}
    remove = [p for p, v in desired.items() if v is None and actual[p] is not None]
    if replace or remove:
        downstream.user_patch(scim, user_id=downstream_id, replace=replace, remove=remove)
        report.users_repaired += 1
    DownstreamAccount.objects.update_or_create(
        connector=connector,
        person=person,
        defaults={
            "downstream_id": downstream_id,
            "pushed_digests": {p: digest(v) for p, v in desired.items()},
        },
    )
    if not desired:
        person_push(connector_id=connector.pk, person_id=person.pk)


def _group_reconcile(scim: Any, connector: Connector, mapping: GroupMapping) -> int:
    """Make the downstream group's members exactly the desired ones, and the accounts'
    record of their pushed groups say so: an account left saying it is in a group it was
    just removed from would not be added again when its person rejoins. 1 if repaired."""
    group_id = downstream.group_ensure(scim, mapping)
    actual = downstream.group_members(scim, group_id=group_id) or set()
    wanted = set(
        DownstreamAccount.objects.filter(connector=connector, person__in=mapping_members(mapping))
        .exclude(downstream_id="")
        .values_list("downstream_id", flat=True)
    )
    if wanted == actual:
        return 0
    downstream.group_members_patch(scim, mapping, add=wanted - actual, remove=actual - wanted)
    key = str(mapping.pk)
    changed = DownstreamAccount.objects.filter(
        connector=connector, downstream_id__in=wanted ^ actual
    ).only("pk", "downstream_id", "pushed_groups")
    stream, now = changed.iterator(chunk_size=CHUNK), timezone.now()
    while batch := list(islice(stream, CHUNK)):
        for account in batch:
            groups = set(account.pushed_groups)
            if account.downstream_id in wanted:
                groups.add(key)
            else:
                groups.discard(key)
            account.pushed_groups, account.modified = sorted(groups), now
        DownstreamAccount.objects.bulk_update(batch, ["pushed_groups", "modified"])
    return 1
