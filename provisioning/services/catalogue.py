"""The application catalogue: applications and the entitlements that can be granted in them."""

from typing import Any

from django.db import transaction

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning.errors import UniquenessError
from provisioning.models import Application, Entitlement


def application_create(*, actor: Actor, application: Application) -> Application:
    """Add an application to the catalogue (names are unique regardless of case)."""
    return _application_write(actor, application, Action.APPLICATION_CREATED)


def application_update(*, actor: Actor, application: Application) -> Application:
    """Change an application (names are unique regardless of case). Its owner reviews
    its accounts and direct entitlements in owner-reviewed access reviews from the next
    start; runs already started keep their reviewers."""
    return _application_write(actor, application, Action.APPLICATION_UPDATED)


def _application_write(actor: Actor, application: Application, action: Action) -> Application:
    with transaction.atomic():
        clash = Application.objects.filter(name__iexact=application.name).exclude(pk=application.pk)
        if clash.exists():
            raise UniquenessError("name", application.name)
        application.save()
        event_record(
            actor=actor,
            action=action,
            target=application,
            data=_describe(application, "name", "url") | {"owner": str(application.owner_id or "")},
        )
    return application


def application_delete(*, actor: Actor, application: Application) -> None:
    _delete(actor, application, Action.APPLICATION_DELETED)


def entitlement_create(*, actor: Actor, entitlement: Entitlement) -> Entitlement:
    """Add an entitlement to its application; its name is unique within the application."""
    return _entitlement_write(actor, entitlement, Action.ENTITLEMENT_CREATED)


def entitlement_update(*, actor: Actor, entitlement: Entitlement) -> Entitlement:
    """Change an entitlement; its name is unique within its application."""
    return _entitlement_write(actor, entitlement, Action.ENTITLEMENT_UPDATED)


def _entitlement_write(actor: Actor, entitlement: Entitlement, action: Action) -> Entitlement:
    with transaction.atomic():
        clash = Entitlement.objects.filter(
            application_id=entitlement.application_id, name__iexact=entitlement.name
        ).exclude(pk=entitlement.pk)
        if clash.exists():
            raise UniquenessError("name", entitlement.name)
        entitlement.save()
        event_record(
            actor=actor,
            action=action,
            target=entitlement,
            data={"application": str(entitlement.application_id), "name": entitlement.name},
        )
    return entitlement


def entitlement_delete(*, actor: Actor, entitlement: Entitlement) -> None:
    _delete(actor, entitlement, Action.ENTITLEMENT_DELETED)


def _delete(actor: Actor, entry: Application | Entitlement, action: Action) -> None:
    # The event is recorded first, while the row still has the key it names.
    with transaction.atomic():
        event_record(actor=actor, action=action, target=entry, data={"name": entry.name})
        entry.delete()


def _describe(instance: Any, *names: str) -> dict[str, str]:
    return {name: str(getattr(instance, name)) for name in names}
