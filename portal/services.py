"""Staff accounts: the changes to them that a rule governs."""

from django.db import transaction

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
