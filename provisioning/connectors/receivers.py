"""Subscribes outbound provisioning to the identity services' signals: each change becomes
push messages in the outbox, one per enabled connector concerned, written in the change's
own transaction and handed to Celery once it commits. Connected in ProvisioningConfig.ready."""

from typing import Any
from uuid import UUID

from django.dispatch import receiver

from compliance.outbox.queue import Message, outbox_put
from provisioning import signals
from provisioning.connectors import tasks
from provisioning.connectors.models import GroupMapping
from provisioning.connectors.selectors import connector_topic, enabled_connector_ids


@receiver(signals.person_changed, dispatch_uid="connectors.person_changed")
def person_push_queue(sender: Any, person_id: UUID, **kwargs: Any) -> None:
    people_push_queue([person_id])


@receiver(signals.people_changed, dispatch_uid="connectors.people_changed")
@receiver(signals.access_changed, dispatch_uid="connectors.access_changed")
def people_ids_push_queue(sender: Any, person_ids: list[UUID], **kwargs: Any) -> None:
    people_push_queue(person_ids)


def people_push_queue(person_ids: list[UUID]) -> None:
    """A push per enabled connector and person, the connectors read once and the messages
    written in one insert: a grant expiry run ending thousands of grants costs two queries
    here, not one per person."""
    outbox_put(
        Message(tasks.push_person, (str(c), str(p)), connector_topic(c))
        for c in enabled_connector_ids()
        for p in person_ids
    )


@receiver(signals.membership_changed, dispatch_uid="connectors.membership_changed")
def group_push_queue(sender: Any, group_id: UUID, person_ids: list[UUID], **kwargs: Any) -> None:
    connector_ids = (
        GroupMapping.objects.filter(group_id=group_id, connector__enabled=True)
        .order_by()
        .values_list("connector_id", flat=True)
        .distinct()
    )
    people = [str(p) for p in person_ids]
    outbox_put(
        Message(tasks.push_group_members, (str(c), str(group_id), people), connector_topic(c))
        for c in connector_ids
    )
