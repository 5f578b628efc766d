"""Signals the identity services send after their transaction commits, carrying ids only.

Outbound connectors subscribe to them (provisioning.connectors.receivers); access
governance sends access_changed from its grant services.
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.dispatch import Signal

# person_id: UUID. A person's attributes or active flag changed.
person_changed = Signal()
# group_id: UUID, person_ids: list[UUID]. People joined or left a portal group.
membership_changed = Signal()
# person_ids: list[UUID]. People gained or lost an entitlement (a grant, a role): all those
# one grant change touched, in one signal, so that a receiver reads what it needs once for
# them rather than once per person.
access_changed = Signal()


def person_changed_on_commit(person_id: UUID) -> None:
    transaction.on_commit(lambda: person_changed.send_robust(sender=None, person_id=person_id))


def membership_changed_on_commit(group_id: UUID, person_ids: list[UUID]) -> None:
    transaction.on_commit(
        lambda: membership_changed.send_robust(
            sender=None, group_id=group_id, person_ids=list(person_ids)
        )
    )


def access_changed_on_commit(person_ids: Iterable[UUID]) -> None:
    people = list(dict.fromkeys(person_ids))
    transaction.on_commit(lambda: access_changed.send_robust(sender=None, person_ids=people))
