"""What the identity domain holds about a person, registered with the export and erasure
engines of compliance.dsar: the person, their contacts, memberships, e-mails sent to or
about them, and django-auditlog's and the admin's change history of their record. People
as those engines' data subjects: provisioning.subjects."""

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from auditlog.models import LogEntry as FieldChange
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Now

from compliance import inventory
from compliance.audit.actor import Actor
from compliance.dsar.collectors import Records, register_collector
from compliance.dsar.corrections import Corrector, register_corrector
from compliance.dsar.erasers import ANONYMISE, LOCAL, register_eraser
from compliance.dsar.package import register_subject_models
from compliance.dsar.recipients import Recipient, register_recipients
from compliance.dsar.restriction import ProcessingControls, register_processing_controls
from compliance.outbox.queue import outbox_withdraw
from provisioning import dsar_access
from provisioning.connectors import attributes
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.dsar_corrections import (
    correctable_fields,
    correctable_values,
    person_correct,
    refused_as_compliance,
)
from provisioning.models import Group, Person, PersonEmail, PersonPhone, SentEmail
from provisioning.services import groups, persons, privacy

PERSON = "provisioning.Person"
# The stub still says that, and since when, the person left, and that their identity
# provider deleted them: an erased person deleted over SCIM stays gone from SCIM (404).
KEPT_ON_THE_STUB = ("active", "deactivated_at", "scim_deleted_at")


def person_fields(names: tuple[str, ...], person: Person) -> Records:
    yield {name: getattr(person, "manager_id" if name == "manager" else name) for name in names}


def relations(person: Person) -> Records:
    """The people the record relates the person to, by name as well as by id (Art. 15:
    the data as the person would recognise it)."""
    if person.manager_id is None:
        return
    manager = Person.objects.filter(pk=person.manager_id).only("user_name", "display_name")
    for someone in manager:
        yield {"relation": "manager", "name": str(someone), "subject_id": str(someone.pk)}


def contacts(person: Person) -> Records:
    for kind, model in (("email", PersonEmail), ("phone", PersonPhone)):
        for value, type_, primary in model.objects.filter(person=person).values_list(
            "value", "type", "primary"
        ):
            yield {"kind": kind, "value": value, "type": type_, "primary": primary}


def memberships(person: Person) -> Records:
    rows = person.memberships.select_related("group").order_by("created")
    for membership in rows.iterator():
        yield {"group": membership.group.display_name, "since": membership.created}


def sent_emails_about(person: Person) -> "models.QuerySet[SentEmail]":
    """E-mails about the person or sent to one of their addresses."""
    addressed = Q()
    for address in person.emails.values_list("value", flat=True):
        addressed |= Q(recipients__icontains=address)
    return SentEmail.objects.filter(Q(about=person) | addressed).distinct()


def sent_emails(person: Person) -> Records:
    for email in sent_emails_about(person).order_by("sent_at").iterator():
        yield {
            "sent_at": email.sent_at,
            "to": email.recipients,
            "subject": email.subject,
            "body": email.body,
        }


def memberships_remove(person: Person, actor: Actor) -> dict[str, Any]:
    """Through the group service, so each removal is recorded and deprovisioned."""
    removed = 0
    for group in Group.objects.filter(memberships__person=person).iterator():
        removed += groups.group_members_remove(group=group, person_ids=[person.pk], actor=actor)
    return {"memberships_removed": removed}


def sent_emails_delete(person: Person, actor: Actor) -> dict[str, Any]:
    """The stored copies go, and so does the sealed copy of any still waiting in the
    outbox: an e-mail to or about an erased person is not sent after their erasure."""
    rows = list(sent_emails_about(person).values_list("pk", "outbox_message"))
    withdrawn = outbox_withdraw(
        [message for _, message in rows if message], reason="data-subject erasure"
    )
    deleted = SentEmail.objects.filter(pk__in=[pk for pk, _ in rows]).delete()[1]
    return {"emails_deleted": deleted.get(SentEmail._meta.label, 0), "emails_withdrawn": withdrawn}


def _blank(field: models.Field[Any, Any]) -> Any:
    return None if field.null else ""


def person_anonymise(person: Person, actor: Actor) -> dict[str, Any]:
    """Keep a pseudonymous stub (its id, so references and the audit trail still resolve)
    with every personal field of the inventory blanked. A queryset update, so
    django-auditlog does not copy the old values into a new entry."""
    blanked: dict[str, Any] = {}
    for entry in inventory.personal_fields(PERSON):
        if entry.field in KEPT_ON_THE_STUB:
            continue
        field = Person._meta.get_field(entry.field)
        assert isinstance(field, models.Field)
        blanked[field.attname] = _blank(field)
    blanked["user_name"] = f"erased-{person.pk.hex}"
    # Through the leaver path first: an inactive person holds no active grant (a database
    # rule on PostgreSQL), and downstream applications are told.
    persons.person_set_active(person=person, actor=actor, active=False, reason="erasure")
    emails = PersonEmail.objects.filter(person=person).delete()[0]
    phones = PersonPhone.objects.filter(person=person).delete()[0]
    Person.objects.filter(pk=person.pk).update(
        **blanked,
        active=False,
        deactivated_at=Coalesce("deactivated_at", Now()),
        version=models.F("version") + 1,
    )
    return {"fields_blanked": len(blanked), "emails_deleted": emails, "phones_deleted": phones}


def change_history_delete(person: Person, actor: Actor) -> dict[str, Any]:
    """django-auditlog (before people left it: provisioning.apps) and the admin keep old
    values in the clear: remove their rows."""
    content_type = ContentType.objects.get_for_model(Person)
    field_changes = FieldChange.objects.filter(
        content_type=content_type, object_pk=str(person.pk)
    ).delete()[0]
    admin_entries = AdminLogEntry.objects.filter(
        content_type=content_type, object_id=str(person.pk)
    ).delete()[0]
    return {"field_changes_deleted": field_changes, "admin_entries_deleted": admin_entries}


def person_restrict(subject_id: str, actor: Actor, reason: str) -> None:
    with refused_as_compliance():
        privacy.person_restrict(person=Person(pk=subject_id), actor=actor, reason=reason)


def person_restriction_lift(subject_id: str, actor: Actor, reason: str) -> None:
    with refused_as_compliance():
        privacy.person_restriction_lift(person=Person(pk=subject_id), actor=actor, reason=reason)


def person_restricted_since(subject_id: str) -> datetime | None:
    since: datetime | None = (
        Person.objects.filter(pk=subject_id).values_list("restricted_at", flat=True).first()
    )
    return since


def person_choose(subject_id: str, actor: Actor, choice: str) -> None:
    with refused_as_compliance():
        privacy.person_preference_set(person=Person(pk=subject_id), actor=actor, preference=choice)


def applications_sold_or_shared_to() -> list[str]:
    """The downstream applications whose connector is marked as selling or sharing."""
    return list(
        Connector.objects.filter(sold_or_shared=True)
        .order_by("application__name")
        .values_list("application__name", flat=True)
    )


def recipients_of(subject_id: str, request_type: str) -> list[Recipient]:
    """The applications that hold the person's data (an account was made for them there)
    and must hear of the request: after an opt-out, those that sell or share; after a
    limit, those that sell or share, were sent a sensitive attribute and do not need it
    (§7027(m): those that need it keep their permitted use); after a restriction, all."""
    accounts = (
        DownstreamAccount.objects.filter(person_id=subject_id)
        .exclude(downstream_id="")
        .select_related("connector__application")
        .order_by("connector__application__name")
    )
    if request_type == "sale-opt-out":
        accounts = accounts.filter(connector__sold_or_shared=True)
    elif request_type == "limit-sensitive":
        accounts = accounts.filter(
            connector__sold_or_shared=True, connector__sensitive_needed=False
        )
        sensitive = inventory.sensitive_scim_attributes()
        accounts_sent = [
            account
            for account in accounts
            if sensitive & set(attributes.sent_attributes(account.connector))
        ]
        return [_recipient(account) for account in accounts_sent]
    elif request_type != "restriction":
        return []
    return [_recipient(account) for account in accounts]


def _recipient(account: DownstreamAccount) -> Recipient:
    connector = account.connector
    return Recipient(
        name=connector.application.name,
        contact=connector.privacy_contact,
        account=account.downstream_id,
    )


def register() -> None:
    register_subject_models(
        PERSON, "provisioning.PersonEmail", "provisioning.PersonPhone", "provisioning.SentEmail"
    )
    by_category: dict[str, list[str]] = {}
    for entry in inventory.personal_fields(PERSON):
        by_category.setdefault(str(entry.category), []).append(entry.field)
    for category, names in by_category.items():
        collect: Callable[[Person], Records] = partial(person_fields, tuple(names))
        register_collector(f"person-{category}", category, collect)
    register_collector("contacts", inventory.Category.CONTACT, contacts)
    register_collector("relations", inventory.Category.EMPLOYMENT, relations)
    register_collector("memberships", inventory.Category.ACCESS, memberships)
    register_collector("sent-emails", inventory.Category.CONTACT, sent_emails)

    register_eraser("memberships", "group memberships", memberships_remove, order=LOCAL)
    register_eraser("sent-emails", "stored e-mails", sent_emails_delete, order=LOCAL)
    register_eraser(
        "person", "person record (pseudonymous stub)", person_anonymise, order=ANONYMISE
    )
    register_eraser(
        "change-history",
        "django-auditlog and admin history",
        change_history_delete,
        order=ANONYMISE + 1,
    )
    dsar_access.register()  # governance and outbound: grants, requests, downstream
    register_corrector(
        Corrector(fields=correctable_fields, current=correctable_values, correct=person_correct)
    )
    register_processing_controls(
        ProcessingControls(
            restrict=person_restrict,
            lift=person_restriction_lift,
            restricted_since=person_restricted_since,
            choose=person_choose,
        )
    )
    register_recipients(recipients_of)
    inventory.register_sale_recipients(
        inventory.PROVISIONED_RECIPIENT, applications_sold_or_shared_to
    )
