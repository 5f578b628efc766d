"""Subscribes outbound provisioning to the identity services' signals: each change becomes
push tasks, one per enabled connector concerned. Connected in ProvisioningConfig.ready."""

from typing import Any
from uuid import UUID

from django.dispatch import receiver

from provisioning import signals
from provisioning.connectors import tasks
from provisioning.connectors.models import GroupMapping
from provisioning.connectors.selectors import enabled_connector_ids


@receiver(signals.person_changed, dispatch_uid="connectors.person_changed")
def person_push_queue(sender: Any, person_id: UUID, **kwargs: Any) -> None:
    people_push_queue([person_id])


@receiver(signals.access_changed, dispatch_uid="connectors.access_changed")
def access_push_queue(sender: Any, person_ids: list[UUID], **kwargs: Any) -> None:
    people_push_queue(person_ids)


def people_push_queue(person_ids: list[UUID]) -> None:
    """A push task per enabled connector and person, the connectors read once: a grant
    expiry run ending thousands of grants costs one query here, not one per person."""
    connector_ids = enabled_connector_ids()
    for connector_id in connector_ids:
        for person_id in person_ids:
            tasks.push_person.delay(str(connector_id), str(person_id))


@receiver(signals.membership_changed, dispatch_uid="connectors.membership_changed")
def group_push_queue(sender: Any, group_id: UUID, person_ids: list[UUID], **kwargs: Any) -> None:
    connector_ids = (
        GroupMapping.objects.filter(group_id=group_id, connector__enabled=True)
        .order_by()
        .values_list("connector_id", flat=True)
        .distinct()
    )
    people = [str(p) for p in person_ids]
    for connector_id in connector_ids:
        tasks.push_group_members.delay(str(connector_id), str(group_id), people)
