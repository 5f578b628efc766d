"""Groups and their members. Membership changes are set operations: adding or removing a
thousand members costs a constant number of queries."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, F, OuterRef

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action
from provisioning import signals
from provisioning.errors import (
    InvalidValueError,
    RestrictedPersonError,
    UniquenessError,
    VersionConflictError,
)
from provisioning.models import Group, Membership, Person


def group_create(
    *,
    actor: Actor,
    display_name: str,
    external_id: str = "",
    description: str = "",
    member_ids: Collection[UUID] = (),
) -> Group:
    """Create a group, optionally with its first members.

    displayName is unique regardless of case."""
    if not display_name.strip():
        raise InvalidValueError("displayName", "a group needs a name")
    _check_lengths(display_name=display_name, external_id=external_id)
    group = Group(display_name=display_name, external_id=external_id, description=description)
    with transaction.atomic():
        check_unique(group)
        group.save()
        event_record(
            actor=actor,
            action=Action.GROUP_CREATED,
            target=group,
            data={"displayName": display_name},
        )
        if member_ids:
            group_members_add(group=group, person_ids=member_ids, actor=actor)
    return group


def group_update(
    *, group: Group, actor: Actor, display_name: str, external_id: str, description: str = ""
) -> Group:
    _check_lengths(display_name=display_name, external_id=external_id)
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        before = {"displayName": locked.display_name, "externalId": locked.external_id}
        locked.display_name = display_name
        locked.external_id = external_id
        locked.description = description
        after = {"displayName": display_name, "externalId": external_id}
        if before == after and description == group.description:
            return locked
        check_unique(locked)
        locked.version += 1  # the row is locked: the next version is known without reading it
        locked.save()
        event_record(
            actor=actor,
            action=Action.GROUP_UPDATED,
            target=locked,
            data={"before": before, "after": after},
        )
    return locked


def group_delete(*, group: Group, actor: Actor) -> None:
    with transaction.atomic():
        event_record(
            actor=actor,
            action=Action.GROUP_DELETED,
            target=group,
            data={"displayName": group.display_name},
        )
        group.delete()


def group_members_add(*, group: Group, person_ids: Collection[UUID], actor: Actor) -> int:
    """Add people to a group. People already in it are left alone. Returns how many joined.
    Nobody whose processing is restricted joins (GDPR Art. 18); leaving is always allowed."""
    with transaction.atomic():
        return _members_add(group, person_ids, actor)


def _members_add(group: Group, person_ids: Collection[UUID], actor: Actor) -> int:
    """group_members_add's writes, in the caller's transaction: each person read with
    whether they are a member already, in one query."""
    wanted = set(person_ids)
    member = Exists(Membership.objects.filter(group=group, person_id=OuterRef("pk")))
    rows = {
        pk: (restricted_at, joined)
        for pk, restricted_at, joined in Person.objects.filter(pk__in=wanted)
        .annotate(member=member)
        .values_list("pk", "restricted_at", "member")
    }
    if missing := wanted - set(rows):
        raise InvalidValueError("members", f"no such person: {sorted(map(str, missing))[0]}")
    joining = sorted(pk for pk, (_, joined) in rows.items() if not joined)
    if not joining:
        return 0
    if any(rows[person_id][0] is not None for person_id in joining):
        raise RestrictedPersonError()
    Membership.objects.bulk_create(
        [Membership(group=group, person_id=person_id) for person_id in joining]
    )
    _touch(group)
    _record_membership(actor, group, Action.GROUP_MEMBERS_ADDED, joining)
    return len(joining)


def group_members_remove(*, group: Group, person_ids: Collection[UUID], actor: Actor) -> int:
    """Remove people from a group. People not in it are ignored. Returns how many left."""
    with transaction.atomic():
        return _members_remove(group, person_ids, actor)


def _members_remove(group: Group, person_ids: Collection[UUID], actor: Actor) -> int:
    leaving = sorted(
        Membership.objects.filter(group=group, person_id__in=set(person_ids)).values_list(
            "person_id", flat=True
        )
    )
    if not leaving:
        return 0
    Membership.objects.filter(group=group, person_id__in=leaving).delete()
    _touch(group)
    _record_membership(actor, group, Action.GROUP_MEMBERS_REMOVED, leaving)
    return len(leaving)


def group_members_replace(*, group: Group, person_ids: Collection[UUID], actor: Actor) -> Group:
    """Make the members exactly these people (SCIM PUT, Okta's whole-list replace)."""
    with transaction.atomic():
        _members_replace(group, person_ids, actor)
    return group


def _members_replace(group: Group, person_ids: Collection[UUID], actor: Actor) -> int:
    wanted = set(person_ids)
    current = set(Membership.objects.filter(group=group).values_list("person_id", flat=True))
    return _members_remove(group, current - wanted, actor) + _members_add(
        group, wanted - current, actor
    )


@dataclass(frozen=True)
class MemberChange:
    """One set operation on a group's members, as a SCIM PATCH or PUT asks for it."""

    op: Literal["add", "remove", "replace"]
    person_ids: frozenset[UUID]


def group_change(
    *,
    group: Group,
    actor: Actor,
    display_name: str | None = None,
    external_id: str | None = None,
    members: Sequence[MemberChange] = (),
    expected_version: int | None = None,
) -> Group:
    """Apply a whole SCIM change to a group: a rename and member set operations, in order,
    all or nothing. With expected_version, refuses to change a newer version."""
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        if expected_version is not None and locked.version != expected_version:
            raise VersionConflictError(expected_version, locked.version)
        name = locked.display_name if display_name is None else display_name
        external = locked.external_id if external_id is None else external_id
        if (name, external) != (locked.display_name, locked.external_id):
            if not name.strip():
                raise InvalidValueError("displayName", "a group needs a name")
            locked = group_update(
                group=locked,
                actor=actor,
                display_name=name,
                external_id=external,
                description=locked.description,
            )
        # In this transaction, without a savepoint each: a refused operation undoes the
        # whole change. The row is locked, so its version is kept here, not read back.
        operations = {"add": _members_add, "remove": _members_remove, "replace": _members_replace}
        for change in members:
            operations[change.op](locked, change.person_ids, actor)
    return locked


def _touch(group: Group) -> None:
    """A new version of the group; the caller's copy follows (group_change holds its row
    locked, so the copy's version is the stored one)."""
    Group.objects.filter(pk=group.pk).update(version=F("version") + 1)
    group.version += 1


def _record_membership(actor: Actor, group: Group, action: Action, person_ids: list[UUID]) -> None:
    """One event per person, so each person's identity history shows their memberships."""
    events_record(
        actor=actor,
        entries=[
            Entry(action, group, subject_id=str(person_id), data={"group": str(group.pk)})
            for person_id in person_ids
        ],
    )
    signals.membership_changed_on_commit(group.pk, person_ids)  # outbound pushes


def _check_lengths(*, display_name: str, external_id: str) -> None:
    """A value too long for its column is refused, naming the attribute, never cut."""
    for attribute, field, value in (
        ("displayName", "display_name", display_name),
        ("externalId", "external_id", external_id),
    ):
        limit = Group._meta.get_field(field).max_length  # type: ignore[union-attr]
        if limit and len(value) > limit:
            raise InvalidValueError(attribute, f"at most {limit} characters")


def check_unique(group: Group) -> None:
    """Raise UniquenessError if another group has this displayName (in any case) or externalId."""
    others = Group.objects.exclude(pk=group.pk)
    if others.filter(display_name__iexact=group.display_name).exists():
        raise UniquenessError("displayName", group.display_name)
    if group.external_id and others.filter(external_id=group.external_id).exists():
        raise UniquenessError("externalId", group.external_id)
