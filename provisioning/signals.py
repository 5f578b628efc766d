"""Signals the identity services send in their transaction, carrying ids only; what their
receivers promise happens after it commits.

Outbound connectors subscribe to them (provisioning.connectors.receivers); access
governance sends access_changed from its grant services.
"""

from collections.abc import Iterable
from uuid import UUID

from django.dispatch import Signal

# person_id: UUID. A person's attributes or active flag changed.
person_changed = Signal()
# person_ids: list[UUID]. Many people created or changed at once (a /Bulk request, a batch
# of hires): one signal, so that a receiver writes their messages in one insert.
people_changed = Signal()
# group_id: UUID, person_ids: list[UUID]. People joined or left a portal group.
membership_changed = Signal()
# person_ids: list[UUID]. People gained or lost an entitlement (a grant, a role): all those
# one grant change touched, in one signal, so that a receiver reads what it needs once for
# them rather than once per person.
access_changed = Signal()


# The signals are sent inside the caller's transaction: their receivers write the outbox
# messages of the side effects (compliance.outbox), which are handed to Celery only once
# the change commits, and kept if the broker cannot take them then. A receiver that fails
# undoes the change rather than let it commit without its promised effects.


def person_changed_on_commit(person_id: UUID) -> None:
    person_changed.send(sender=None, person_id=person_id)


def people_changed_on_commit(person_ids: Iterable[UUID]) -> None:
    people_changed.send(sender=None, person_ids=list(dict.fromkeys(person_ids)))


def membership_changed_on_commit(group_id: UUID, person_ids: list[UUID]) -> None:
    membership_changed.send(sender=None, group_id=group_id, person_ids=list(person_ids))


def access_changed_on_commit(person_ids: Iterable[UUID]) -> None:
    access_changed.send(sender=None, person_ids=list(dict.fromkeys(person_ids)))
