"""Pushing people and their groups to a downstream application.

A push is idempotent: it reads what it last pushed from the DownstreamAccount, finds an
existing downstream account before creating one, sends only the attributes whose values
changed (as a PATCH), and sends each group's membership changes in one PATCH. HTTP calls
run outside any database transaction; the account's state is saved after each step, so an
interrupted push resumes where it stopped."""

import logging
from collections.abc import Collection
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from scim2_models import NotFoundException

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action, Outcome
from compliance.outbox.queue import Message, outbox_put
from provisioning.connectors import attributes, downstream
from provisioning.connectors.client import downstream as translated_errors
from provisioning.connectors.client import scim_client
from provisioning.connectors.credentials import digest
from provisioning.connectors.errors import ConnectorError
from provisioning.connectors.models import Connector, DownstreamAccount, GroupMapping
from provisioning.connectors.selectors import (
    connector_topic,
    desired_groups,
    in_scope,
    people_in_scope,
    push_withheld,
    revoked_accounts,
    withheld,
)
from provisioning.models import Person

logger = logging.getLogger(__name__)
ACTOR = Actor.system("outbound-provisioning")
Status = DownstreamAccount.Status


def _person(person_id: UUID) -> Person | None:
    return Person.objects.prefetch_related("emails", "phone_numbers").filter(pk=person_id).first()


def _account(connector: Connector, person: Person) -> DownstreamAccount:
    account, _ = DownstreamAccount.objects.get_or_create(connector=connector, person=person)
    return account


def person_push(*, connector_id: UUID, person_id: UUID) -> DownstreamAccount | None:
    """Make the person's downstream account match the portal: create it (or adopt the one
    found by externalId or userName), PATCH the attributes that changed, put it in exactly
    its desired groups; a leaver is deactivated or deleted as the connector says.

    Raises DownstreamUnavailable (retry later) or DownstreamRefused. None if the person is
    gone (erased) or withheld (restricted, or opted out of a connector that sells)."""
    connector = Connector.objects.select_related("application").get(pk=connector_id)
    person = _person(person_id)
    if person is None or not connector.enabled or push_withheld(person, connector):
        return None
    wanted = in_scope(person, connector)
    if wanted:
        account = _account(connector, person)
    else:
        known = DownstreamAccount.objects.filter(connector=connector, person=person).first()
        if known is None or not known.downstream_id:
            return known  # never provisioned, and not to be: nothing leaves the portal
        account = known
    scim = scim_client(connector)
    with translated_errors():
        if not wanted and connector.deprovision == Connector.Deprovision.DELETE:
            operation = "delete"
            _groups_sync(scim, connector, person, account)
            if account.downstream_id:
                downstream.user_delete(scim, user_id=account.downstream_id)
            account.downstream_id, account.pushed_digests = "", {}
            account.save(update_fields=["downstream_id", "pushed_digests", "modified"])
        else:
            operation = _user_sync(scim, connector, person, account, active=wanted)
            _groups_sync(scim, connector, person, account)
    _succeeded(account, person, operation)
    return account


def _user_sync(
    scim: Any, connector: Connector, person: Person, account: DownstreamAccount, *, active: bool
) -> str:
    values = attributes.desired_values(person, connector, active=active)
    digests = {path: digest(value) for path, value in values.items()}
    operation = "patch"
    if not account.downstream_id:
        found = downstream.user_find(scim, external_id=str(person.pk), user_name=person.user_name)
        if found is None:
            payload = attributes.user_payload(person, values)
            account.downstream_id = downstream.user_create(scim, payload=payload)
            account.pushed_digests = digests
            account.save(update_fields=["downstream_id", "pushed_digests", "modified"])
            return "create"
        # Adopted: what it holds is unknown, so every attribute is sent once.
        account.downstream_id, account.pushed_digests = found, {}
        account.save(update_fields=["downstream_id", "pushed_digests", "modified"])
        operation = "adopt"
    replace = {
        path: value
        for path, value in values.items()
        if value is not None and account.pushed_digests.get(path) != digests[path]
    }
    # Only what the portal itself sent is removed: an adopted account keeps the rest.
    remove = [
        path
        for path, value in values.items()
        if value is None and account.pushed_digests.get(path) not in (None, digests[path])
    ]
    if operation == "adopt":
        replace["externalId"] = str(person.pk)
    try:
        downstream.user_patch(scim, user_id=account.downstream_id, replace=replace, remove=remove)
    except NotFoundException:
        # Deleted downstream behind the portal's back: make it again.
        account.downstream_id, account.pushed_digests = "", {}
        account.save(update_fields=["downstream_id", "pushed_digests", "modified"])
        return _user_sync(scim, connector, person, account, active=active)
    account.pushed_digests = digests
    account.save(update_fields=["pushed_digests", "modified"])
    return operation


def _groups_sync(
    scim: Any, connector: Connector, person: Person, account: DownstreamAccount
) -> None:
    desired = {str(pk) for pk in desired_groups(person, connector).values_list("pk", flat=True)}
    pushed = set(account.pushed_groups)
    if desired == pushed:
        return
    changed = GroupMapping.objects.filter(connector=connector, pk__in=desired ^ pushed)
    for mapping in changed:
        member = {account.downstream_id} if account.downstream_id else set()
        joining = str(mapping.pk) in desired
        downstream.group_members_patch(
            scim, mapping, add=member if joining else set(), remove=set() if joining else member
        )
    account.pushed_groups = sorted(desired)
    account.save(update_fields=["pushed_groups", "modified"])


def group_members_push(*, connector_id: UUID, group_id: UUID, person_ids: Collection[UUID]) -> int:
    """Push a portal group's membership changes: for each downstream group mapped from it,
    one PATCH adding and removing all the people concerned. People without a downstream
    account yet are pushed in full first. Returns how many memberships changed."""
    connector = Connector.objects.select_related("application").get(pk=connector_id)
    if not connector.enabled:
        return 0
    mappings = list(GroupMapping.objects.filter(connector=connector, group_id=group_id))
    if not mappings:
        return 0
    scim = scim_client(connector)
    existing = {
        a.person_id: a
        for a in DownstreamAccount.objects.filter(
            connector=connector, person_id__in=person_ids, revoked_at__isnull=True
        ).exclude(person__in=Person.objects.filter(withheld(connector)))
    }
    pushable = (
        Person.objects.filter(pk__in=person_ids, active=True)
        .exclude(withheld(connector))
        .exclude(pk__in=revoked_accounts(connector).values("person_id"))
    )
    for person_id in pushable.values_list("pk", flat=True):
        account = existing.get(person_id)
        if account is None or not account.downstream_id:
            # No account there yet: a full push makes it, with its groups.
            pushed = person_push(connector_id=connector.pk, person_id=person_id)
            if pushed is not None:
                existing[person_id] = pushed
    accounts = list(existing.values())
    member_of = set(
        GroupMapping.objects.filter(
            pk__in=[m.pk for m in mappings],
            group__memberships__person__in=[a.person_id for a in accounts],
            group__memberships__person__active=True,
        ).values_list("pk", "group__memberships__person")
    )
    changed = 0
    with translated_errors():
        for mapping in mappings:
            key = str(mapping.pk)
            add = {
                a.downstream_id
                for a in accounts
                if a.downstream_id
                and (mapping.pk, a.person_id) in member_of
                and key not in a.pushed_groups
            }
            remove = {
                a.downstream_id
                for a in accounts
                if a.downstream_id
                and (mapping.pk, a.person_id) not in member_of
                and key in a.pushed_groups
            }
            downstream.group_members_patch(scim, mapping, add=add, remove=remove)
            changed += len(add) + len(remove)
            for account in accounts:
                groups = set(account.pushed_groups)
                if (mapping.pk, account.person_id) in member_of and account.downstream_id:
                    groups.add(key)
                else:
                    groups.discard(key)
                account.pushed_groups = sorted(groups)
    DownstreamAccount.objects.bulk_update(accounts, ["pushed_groups"])
    # Someone whose first or last mapped group this was joins or leaves the connector's
    # scope: their account is activated or deprovisioned.
    scoped = set(
        people_in_scope(connector)
        .filter(pk__in=[a.person_id for a in accounts])
        .values_list("pk", flat=True)
    )
    for account in accounts:
        was_active = account.pushed_digests.get("active") == digest(True)
        if account.downstream_id and (account.person_id in scoped) != was_active:
            person_push(connector_id=connector.pk, person_id=account.person_id)
    logger.info("group push connector=%s group=%s changes=%d", connector.pk, group_id, changed)
    return changed


def _succeeded(account: DownstreamAccount, person: Person, operation: str) -> None:
    with transaction.atomic():
        DownstreamAccount.objects.filter(pk=account.pk).update(
            status=Status.HEALTHY,
            attempts=0,
            last_error="",
            pushed_version=person.version,
            last_pushed=timezone.now(),
        )
        event_record(
            actor=ACTOR,
            action=Action.PUSH_SUCCEEDED,
            target=account.connector,
            subject_id=str(person.pk),
            data={"connector": str(account.connector_id), "operation": operation},
        )
    account.refresh_from_db()
    logger.info(
        "push %s connector=%s person=%s", operation, account.connector_id, account.person_id
    )


def push_failed(
    *, connector_id: UUID, person_ids: Collection[UUID], error: ConnectorError, final: bool
) -> None:
    """Record a failed attempt on each account concerned: retrying, or dead-lettered once
    the retries have run out (IT retries it from the admin)."""
    status = Status.DEAD_LETTERED if final else Status.RETRYING
    message = str(error)[:500]
    with transaction.atomic():
        for person_id in person_ids:
            if not Person.objects.filter(pk=person_id).exists():
                continue
            account, _ = DownstreamAccount.objects.select_for_update().get_or_create(
                connector_id=connector_id, person_id=person_id
            )
            account.status, account.last_error = status, message
            account.attempts += 1
            account.save(update_fields=["status", "last_error", "attempts", "modified"])
        events_record(
            actor=ACTOR,
            entries=[
                Entry(
                    Action.PUSH_DEAD_LETTERED if final else Action.PUSH_FAILED,
                    ("provisioning.Connector", str(connector_id)),
                    subject_id=str(person_id),
                    data={"connector": str(connector_id), "error": message},
                    outcome=Outcome.FAILED,
                )
                for person_id in person_ids
            ],
        )
    logger.warning(
        "push %s connector=%s people=%d: %s",
        status,
        connector_id,
        len(person_ids),
        message,
    )


def dead_letters_retry(*, actor: Actor, accounts: Collection[DownstreamAccount]) -> int:
    """Queue dead-lettered pushes again (IT's retry). Returns how many were queued."""
    from provisioning.connectors import tasks

    retried = [a for a in accounts if a.status == Status.DEAD_LETTERED]
    with transaction.atomic():
        DownstreamAccount.objects.filter(pk__in=[a.pk for a in retried]).update(
            status=Status.RETRYING, attempts=0
        )
        events_record(
            actor=actor,
            entries=[
                Entry(
                    Action.PUSH_RETRIED,
                    ("provisioning.Connector", str(a.connector_id)),
                    subject_id=str(a.person_id),
                    data={"connector": str(a.connector_id)},
                )
                for a in retried
            ],
        )
        outbox_put(
            Message(
                tasks.push_person,
                (str(a.connector_id), str(a.person_id)),
                connector_topic(a.connector_id),
            )
            for a in retried
        )
    return len(retried)
