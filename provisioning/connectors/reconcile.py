"""Reconciliation: read what a downstream application really holds, repair drift from the
portal's desired state (attributes, active flag, group members), keep when each account was
last used where the downstream says, and report the downstream accounts that match no
person, without deleting them."""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import islice
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning.connectors import attributes, downstream
from provisioning.connectors.client import Usage, scim_client
from provisioning.connectors.client import downstream as translated_errors
from provisioning.connectors.credentials import digest
from provisioning.connectors.models import (
    Connector,
    DownstreamAccount,
    DownstreamOrphan,
    GroupMapping,
)
from provisioning.connectors.selectors import (
    mapping_members,
    people_in_scope,
    people_unprovisioned,
)
from provisioning.connectors.sync import ACTOR, person_push
from provisioning.models import Person

logger = logging.getLogger(__name__)
USAGE = str(Usage.__schema__)
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


def _matches(documents: list[dict[str, Any]]) -> dict[str, Person]:
    """The person each downstream account belongs to, by downstream id: by the portal's
    externalId, else by userName (regardless of case). Four queries for a whole page,
    with the people's e-mails and phone numbers, which the desired values need."""
    by_pk: dict[str, UUID] = {}
    for document in documents:
        try:
            by_pk[str(document["id"])] = UUID(str(document.get("externalId") or ""))
        except ValueError:
            continue
    people = Person.objects.in_bulk(set(by_pk.values()))
    found = {key: people[pk] for key, pk in by_pk.items() if pk in people}
    by_name = {
        str(document["id"]): str(document.get("userName") or "").lower()
        for document in documents
        if str(document["id"]) not in found and document.get("userName")
    }
    if by_name:
        # lower() on both sides: the expression of the unique index on userName.
        named = Person.objects.annotate(lowered=Lower("user_name")).filter(
            lowered__in=set(by_name.values())
        )
        people_by_name = {person.lowered: person for person in named}
        found |= {
            key: people_by_name[name] for key, name in by_name.items() if name in people_by_name
        }
    prefetch_related_objects(list(found.values()), "emails", "phone_numbers")
    return found


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
            seen.update(str(document["id"]) for document in page)
            _users_reconcile(scim, connector, page, report)
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


def _users_reconcile(
    scim: Any, connector: Connector, documents: list[dict[str, Any]], report: ReconcileReport
) -> None:
    """Repair a page of downstream users and record them, in a fixed number of queries
    whatever the page's size; only the PATCHes go one per user."""
    report.users_checked += len(documents)
    matches = _matches(documents)
    strangers = [d for d in documents if str(d["id"]) not in matches]
    DownstreamOrphan.objects.bulk_create(
        [
            DownstreamOrphan(
                connector=connector,
                downstream_id=str(d["id"]),
                user_name=str(d.get("userName") or "")[:255],
            )
            for d in strangers
        ],
        update_conflicts=True,
        unique_fields=["connector", "downstream_id"],
        update_fields=["user_name", "last_seen"],
    )
    report.orphans += len(strangers)
    DownstreamOrphan.objects.filter(connector=connector, downstream_id__in=list(matches)).delete()
    people = {person.pk for person in matches.values()}
    scoped = set(people_in_scope(connector).filter(pk__in=people).values_list("pk", flat=True))
    accounts = {
        account.person_id: account
        for account in DownstreamAccount.objects.filter(connector=connector, person__in=people)
    }
    pushes, now = [], timezone.now()
    for document in documents:
        downstream_id = str(document["id"])
        person = matches.get(downstream_id)
        if person is None:
            continue
        desired = attributes.desired_values(person, connector, active=person.pk in scoped)
        if person.pk not in scoped and connector.deprovision == Connector.Deprovision.DELETE:
            desired = {}  # a deleted leaver found downstream again is removed by the push below
        actual = attributes.downstream_values(document, list(desired))
        replace = {p: v for p, v in desired.items() if v is not None and actual[p] != v}
        remove = [p for p, v in desired.items() if v is None and actual[p] is not None]
        if replace or remove:
            downstream.user_patch(scim, user_id=downstream_id, replace=replace, remove=remove)
            report.users_repaired += 1
        account = accounts.setdefault(
            person.pk, DownstreamAccount(connector=connector, person=person)
        )
        account.downstream_id, account.modified = downstream_id, now
        account.last_used = _last_used(document) or account.last_used
        account.pushed_digests = {p: digest(v) for p, v in desired.items()}
        if not desired:
            pushes.append(person.pk)
    known = [account for account in accounts.values() if not account._state.adding]
    DownstreamAccount.objects.bulk_create([a for a in accounts.values() if a._state.adding])
    DownstreamAccount.objects.bulk_update(
        known, ["downstream_id", "pushed_digests", "last_used", "modified"]
    )
    for person_id in pushes:
        person_push(connector_id=connector.pk, person_id=person_id)


def _last_used(document: dict[str, Any]) -> datetime | None:
    """The sign-in time the downstream reports (client.Usage), if it reports one."""
    reported = (document.get(USAGE) or {}).get("lastLogin")
    if isinstance(reported, datetime):
        return reported
    return parse_datetime(reported) if isinstance(reported, str) else None


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
