"""Staff accounts and staff roles: creating, changing, deactivating and deleting them, each
with its audit event. An event names an account by its key, and a change by its fields,
never by value; a role by its name, and its permissions by their codenames."""

from collections.abc import Collection, Iterable

from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django_otp.models import Device

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from portal.errors import StaffStillNeededError
from portal.models import StaffUser


def staff_deactivation_check(user: StaffUser) -> None:
    """Raise while the member of staff still answers approvals. A role owner approves
    every request for their roles, a separation-of-duties reviewer every request their
    rule catches: deactivating one would leave those requests with no one to decide them."""
    username = user.get_username()
    owned = list(user.owned_roles.order_by("name").values_list("name", flat=True))
    if owned:
        raise StaffStillNeededError(
            f"{username} owns the roles {', '.join(owned)}: give them another owner first.",
            code="owns_roles",
        )
    rules = sorted(str(rule) for rule in user.sod_reviews.select_related("role_a", "role_b"))
    if rules:
        raise StaffStillNeededError(
            f"{username} gives the extra approval of the separation-of-duties rules "
            f"{', '.join(rules)}: name another reviewer first.",
            code="reviews_sod_rules",
        )


def staff_deactivate(*, user: StaffUser, actor: Actor) -> StaffUser:
    """Deactivate a member of staff: they can no longer sign in. Refused while they own a
    role or review a separation-of-duties rule (staff_deactivation_check)."""
    with transaction.atomic():
        staff_deactivation_check(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        event_record(actor=actor, action=Action.STAFF_DEACTIVATED, target=user)
    return user


def staff_create(*, user: StaffUser, actor: Actor) -> StaffUser:
    """Open a staff account, its password already set (hashed) on `user`."""
    with transaction.atomic():
        user.save()
        event_record(actor=actor, action=Action.STAFF_CREATED, target=user)
    return user


def staff_update(
    *,
    user: StaffUser,
    actor: Actor,
    changed: Collection[str],
    roles: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> StaffUser:
    """Save a staff account as changed on `user`, with its staff roles (Django groups) and
    own permissions when given. `changed` names the fields that changed. Clearing 'active'
    is a deactivation, with its rule and its own event (staff_deactivate); the event of the
    rest names the changed fields and, when they changed, the roles held."""
    deactivating = "is_active" in changed and not user.is_active
    rest = sorted(set(changed) - {"is_active"} if deactivating else set(changed))
    with transaction.atomic():
        if deactivating:
            staff_deactivate(user=user, actor=actor)
        user.save()
        if roles is not None:
            user.groups.set(roles)
        if permissions is not None:
            user.user_permissions.set(permissions)
        if rest or not deactivating:
            data: dict[str, object] = {"changed": rest}
            if "groups" in rest:
                data["roles"] = sorted(user.groups.values_list("name", flat=True))
            event_record(actor=actor, action=Action.STAFF_UPDATED, target=user, data=data)
    return user


def staff_password_set(*, user: StaffUser, actor: Actor) -> StaffUser:
    """Save a staff account's new password, already hashed on `user`, or that it has none
    (signing in by password disabled). The event says which, never the password."""
    with transaction.atomic():
        user.save(update_fields=["password"])
        event_record(
            actor=actor,
            action=Action.STAFF_PASSWORD_SET,
            target=user,
            data={"usable": user.has_usable_password()},
        )
    return user


def staff_delete(*, user: StaffUser, actor: Actor) -> None:
    """Delete a staff account. The database refuses while the account is still named where
    it must stay (a role's owner, a rule's reviewer, a request's requester), and the
    admin's confirmation page lists those first."""
    with transaction.atomic():
        event_record(actor=actor, action=Action.STAFF_DELETED, target=user)
        user.delete()


# How staff know their second factors: the admin's labels and the events' "device".
SECOND_FACTOR_KINDS = {
    "otp_totp.TOTPDevice": "authenticator app",
    "otp_static.StaticDevice": "backup codes",
}


def staff_second_factor_remove(*, device: Device, actor: Actor) -> None:
    """Remove one of a member of staff's second factors (an authenticator app or their
    backup codes), say after a lost phone. With none left, their next sign-in asks them to
    enrol a new authenticator. The event names the kind of device, never its key."""
    with transaction.atomic():
        event_record(
            actor=actor,
            action=Action.STAFF_MFA_RESET,
            target=device.user,
            data={"device": SECOND_FACTOR_KINDS.get(device._meta.label, device._meta.label)},
        )
        device.delete()


def staff_lockout_clear(*, attempt: AccessAttempt, actor: Actor) -> None:
    """Clear a sign-in lockout (django-axes' count of failed attempts for a username from
    an address) before its cool-off ends. The event names the username tried, as the
    failed sign-ins' own events do; the address stays out of it."""
    with transaction.atomic():
        event_record(
            actor=actor,
            action=Action.STAFF_LOCKOUT_CLEARED,
            target=("portal.staffuser", attempt.username or ""),
            data={"failures": attempt.failures_since_start},
        )
        attempt.delete()


def _codenames(permissions: Iterable[Permission]) -> set[str]:
    """A permission as Django's has_perm names it: app label and codename."""
    return {
        f"{permission.content_type.app_label}.{permission.codename}" for permission in permissions
    }


def _role_event(
    *, role: Group, actor: Actor, action: Action, before: set[str], after: set[str], **data: object
) -> None:
    """The event of a staff role: its name and the permissions it gained and lost, so that a
    privilege change reads from the trail alone."""
    event_record(
        actor=actor,
        action=action,
        target=role,
        data={
            "role": role.name,
            "added": sorted(after - before),
            "removed": sorted(before - after),
            **data,
        },
    )


def _held(role: Group) -> set[str]:
    return _codenames(role.permissions.select_related("content_type"))


def staff_role_create(
    *, role: Group, actor: Actor, permissions: Iterable[Permission] = ()
) -> Group:
    """Create a staff role (a Django group) with its permissions."""
    with transaction.atomic():
        role.save()
        role.permissions.set(list(permissions))
        _role_event(
            role=role,
            actor=actor,
            action=Action.STAFF_ROLE_CREATED,
            before=set(),
            after=_held(role),
        )
    return role


def staff_role_update(
    *,
    role: Group,
    actor: Actor,
    changed: Collection[str],
    permissions: Iterable[Permission] | None = None,
) -> Group:
    """Save a staff role as changed on `role`, with its permissions when given. `changed`
    names the fields that changed; the event names the permissions added and removed."""
    with transaction.atomic():
        # Two edits of one role at once would otherwise each read the other's "before".
        Group.objects.select_for_update().only("pk").get(pk=role.pk)
        before = _held(role)
        role.save()
        if permissions is not None:
            role.permissions.set(list(permissions))
        _role_event(
            role=role,
            actor=actor,
            action=Action.STAFF_ROLE_CHANGED,
            before=before,
            after=_held(role),
            changed=sorted(changed),
        )
    return role


def staff_role_delete(*, role: Group, actor: Actor) -> None:
    """Delete a staff role: its holders lose its permissions, which the event names as
    removed."""
    with transaction.atomic():
        _role_event(
            role=role,
            actor=actor,
            action=Action.STAFF_ROLE_DELETED,
            before=_held(role),
            after=set(),
        )
        role.delete()
