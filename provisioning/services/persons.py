"""Creating and changing people. Every function is one use case, one transaction and one
audit event; SCIM, the admin, tasks and commands all call these."""

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action
from provisioning import selectors, signals
from provisioning.addresses import address_problem
from provisioning.errors import (
    BatchEntryError,
    ErasedIdentityError,
    InvalidValueError,
    ProvisioningError,
    RestrictedPersonError,
    UniquenessError,
    VersionConflictError,
)
from provisioning.models import Person, PersonEmail, PersonPhone, ScimClient
from provisioning.models.access import MATCH_FIELDS
from provisioning.people_pages import ContactRow, details_of, details_set, person_locked_read
from provisioning.services import (
    access,
    approvals_routing,
    deprovisioning,
    erased_identities,
    requests,
)
from provisioning.services._locks import holding, locked_row, person_pushed

# The Person fields a caller may set; everything else is managed by the services.
WRITABLE_FIELDS = frozenset(
    field.name
    for field in Person._meta.concrete_fields
    if field.editable and field.name not in {"id", "active"}
)

# A change to any of these is a move: birthright templates are evaluated again.
MOVER_FIELDS = frozenset(MATCH_FIELDS)
# The attributes no two people may share (check_unique).
UNIQUE_FIELDS = ("user_name", "external_id")
# The types a contact may have, read once: a batch checks thousands of contacts.
CONTACT_TYPES = {model: frozenset(model.Type.values) for model in (PersonEmail, PersonPhone)}


@dataclass(frozen=True)
class Contact:
    """An e-mail address or phone number as a caller gives it."""

    value: str
    type: str = "work"
    primary: bool = False


def person_create(
    *,
    actor: Actor,
    fields: dict[str, Any],
    emails: Sequence[Contact] = (),
    phones: Sequence[Contact] = (),
    active: bool = True,
    reason: str = "",
) -> Person:
    """Create a person. userName is unique regardless of case, externalId is unique. An
    active joiner gets the roles of every birthright template they match. An identity
    erased at the data subject's request is refused (the erasure ledger)."""
    _check_writable(fields)
    _erasure_guard(actor, fields, emails)
    _check_contacts("emails", emails, PersonEmail)
    _check_contacts("phoneNumbers", phones, PersonPhone)
    new = NewPerson(fields, emails, phones, active, reason)
    # No uniqueness query first: the unique indexes refuse a taken userName or externalId
    # in the insert, and the guard names which.
    with transaction.atomic(), _uniqueness_guard(fields):
        return _people_insert(actor, [new])[0]


@dataclass(frozen=True)
class NewPerson:
    """One person of a batch to create, as person_create takes them."""

    fields: dict[str, Any]
    emails: Sequence[Contact] = ()
    phones: Sequence[Contact] = ()
    active: bool = True
    reason: str = ""


def people_check(*, actor: Actor, people: Sequence[NewPerson]) -> list[ProvisioningError | None]:
    """What person_create would refuse of each of these people if they were created one
    after the other in this order: its error, or None. The same checks in the same order,
    for the whole batch at once: the attributes' values, the erasure ledger (one query on
    the key store; each refusal is recorded, as erased_identity_check records it), userName
    and externalId against everyone stored (one query) and against the entries before it
    that pass (the second of two is refused, as the second POST would be), then the
    contacts. Writes no person."""
    refusals: list[ProvisioningError | None] = [_fields_problem(new) for new in people]
    erased = iter(
        erased_identities.erased_identities_check(
            actor=actor,
            identities=[
                (new.fields, [contact.value for contact in new.emails])
                for new, refused in zip(people, refusals, strict=True)
                if refused is None
            ],
        )
    )
    refusals = [
        refused or (ErasedIdentityError() if next(erased) else None) for refused in refusals
    ]
    held_names, held_ids = selectors.identifiers_held(
        user_names=[str(new.fields.get("user_name") or "") for new in people],
        external_ids=[str(new.fields.get("external_id") or "") for new in people],
    )
    for index, new in enumerate(people):
        if refusals[index] is None:
            refusals[index] = _entry_problem(new, held_names, held_ids)
    return refusals


def _fields_problem(new: NewPerson) -> ProvisioningError | None:
    try:
        _check_writable(new.fields)
    except ProvisioningError as error:
        return error
    return None


def _entry_problem(
    new: NewPerson, held_names: set[str], held_ids: set[str]
) -> ProvisioningError | None:
    """An entry's clash with what is stored or created before it, else its contacts'
    problem. An entry that passes holds its identifiers against the entries after it."""
    user_name = str(new.fields.get("user_name") or "")
    external_id = str(new.fields.get("external_id") or "")
    if user_name.lower() in held_names:
        return UniquenessError("userName", user_name)
    if external_id and external_id in held_ids:
        return UniquenessError("externalId", external_id)
    try:
        _check_contacts("emails", new.emails, PersonEmail)
        _check_contacts("phoneNumbers", new.phones, PersonPhone)
    except ProvisioningError as error:
        return error
    held_names.add(user_name.lower())
    if external_id:
        held_ids.add(external_id)
    return None


def people_create(*, actor: Actor, people: Sequence[NewPerson]) -> list[Person]:
    """Create a batch of people with set operations, all or none: what person_create does
    for one (birthright for the active ones, one person.created event each, the outbound
    pushes), in a fixed number of queries however many people: one insert per kind of row
    (people, e-mails, phones, grants, outbox messages), one read of the templates, one
    chain append for every event, and the subject keys read and made in one query each.

    Every entry is checked first (people_check); the first one refused raises
    BatchEntryError with its position, and nothing is written. A userName or externalId
    taken by a concurrent writer since the check raises the constraint's IntegrityError
    (the caller's transaction rolls back; a caller that wants per-entry results creates the
    entries one by one then)."""
    for index, refused in enumerate(people_check(actor=actor, people=people)):
        if refused is not None:
            raise BatchEntryError(index, refused)
    return people_create_checked(actor=actor, people=people)


def people_create_checked(*, actor: Actor, people: Sequence[NewPerson]) -> list[Person]:
    """people_create's writes for people that people_check has just accepted, without
    checking them again: for a caller that answers each refusal itself and creates the
    others (a /Bulk request). The unique indexes still refuse a userName or externalId a
    concurrent writer took since the check: the constraint's IntegrityError, and nothing
    is written."""
    with transaction.atomic():
        return _people_insert(actor, people)


def _people_insert(actor: Actor, people: Sequence[NewPerson]) -> list[Person]:
    """The writes of person_create and people_create, in the caller's transaction: one
    insert per kind of row, one chain append for every event."""
    created = [Person(active=new.active, **new.fields) for new in people]
    Person.objects.bulk_create(created)
    _contacts_insert(created, people)
    grants = access.birthright_join_many(
        people=created, actor=actor, reasons=[new.reason or "joiner" for new in people]
    )
    events_record(
        actor=actor,
        entries=[
            entry
            for person, new, granted in zip(created, people, grants, strict=True)
            for entry in (_created_entry(person, new.emails, new.phones), *granted)
        ],
        new_subjects={str(person.pk) for person in created},
    )
    signals.people_changed_on_commit(person.pk for person in created)  # outbound pushes
    return created


def _contacts_insert(created: Sequence[Person], people: Sequence[NewPerson]) -> None:
    """The batch's e-mails in one insert, its phone numbers in another."""
    for model, kind in ((PersonEmail, "emails"), (PersonPhone, "phones")):
        rows: list[Any] = [
            model(person=person, value=c.value, type=c.type, primary=c.primary)
            for person, new in zip(created, people, strict=True)
            for c in getattr(new, kind)
        ]
        if rows:
            model.objects.bulk_create(rows)


def _created_entry(person: Person, emails: Sequence[Contact], phones: Sequence[Contact]) -> Entry:
    return Entry(
        action=Action.PERSON_CREATED,
        target=person,
        subject_id=str(person.pk),
        personal={"after": _personal_snapshot(person, emails, phones)},
    )


def person_update(
    *,
    person: Person,
    actor: Actor,
    fields: dict[str, Any],
    emails: Sequence[Contact] | None = None,
    phones: Sequence[Contact] | None = None,
    expected_version: int | None = None,
    reason: str = "",
    restriction_override: bool = False,
) -> Person:
    """Change a person's attributes. With expected_version, refuses to overwrite a newer
    version (optimistic locking: two concurrent writers never lose an update silently).
    A change of department, title, employment type or location re-evaluates the person's
    birthright templates (the mover). Identifiers erased at a data subject's request are
    refused (the erasure ledger). A person whose processing is restricted is changed only
    with restriction_override, which the privacy services alone pass."""
    _check_writable(fields)
    _erasure_guard(actor, fields, emails)
    with person_locked(person_id=person.pk, expected_version=expected_version) as locked:
        before = {name: getattr(locked, name) for name in fields}
        changed = {name: value for name, value in fields.items() if before[name] != value}
        for name, value in changed.items():
            setattr(locked, name, value)
        with _uniqueness_guard(changed):
            contacts_changed = _replace_contacts(locked, emails=emails, phones=phones)
            if not changed and not contacts_changed:
                return locked
            if locked.restricted_at is not None and not restriction_override:
                raise RestrictedPersonError()  # the contacts' rows roll back with it
            # The row is locked: the next version is known without reading it back.
            locked.version += 1
            locked.save()
        event_record(
            actor=actor,
            action=Action.PERSON_UPDATED,
            target=locked,
            subject_id=str(locked.pk),
            # A reason is free text that may name the person, so it is encrypted too.
            personal={
                "before": {name: _audit_value(before[name]) for name in changed},
                "after": {name: _audit_value(value) for name, value in changed.items()},
                **({"contacts": contacts_changed} if contacts_changed else {}),
                **({"reason": reason} if reason else {}),
            },
            data={"fields": sorted(changed) + sorted(contacts_changed)},
        )
        # An inactive person holds no grant and matches no template: nothing to move.
        if locked.active and (moved := _moved(before, changed)):
            access.birthright_apply(
                person=locked,
                actor=actor,
                reason=f"mover ({', '.join(moved)} changed)" + (f": {reason}" if reason else ""),
            )
        person_pushed(locked.pk)  # outbound pushes
    return locked


def _moved(before: dict[str, Any], changed: dict[str, Any]) -> list[str]:
    """The job attributes that changed as templates see them (ignoring case, as they
    match): only then are the person's birthright templates evaluated again."""
    return sorted(
        name
        for name in MOVER_FIELDS & set(changed)
        if str(before[name] or "").upper() != str(changed[name] or "").upper()
    )


@contextmanager
def person_locked(*, person_id: UUID, expected_version: int | None = None) -> Iterator[Person]:
    """The person's row, read and locked until the block ends, for a change the caller
    computes from the current state (a SCIM PUT or PATCH): concurrent writers queue on the
    row instead of refusing each other's versions. With expected_version, refuses a newer
    version; a person who does not exist raises Person.DoesNotExist before the block. The
    change inside goes through the services here, which record it; those that lock the same
    person again inside get the row already locked (services._locks). The person's
    contacts and groups are read in the locking statement: the contacts are compared with
    what is sent, and the answer shows both, without reading them again."""
    held = locked_row(person_id)
    if held is not None:
        _check_version(held, expected_version)
        yield held
        return
    with transaction.atomic():
        locked = person_locked_read(person_id)
        _check_version(locked, expected_version)
        with holding(locked):
            yield locked


def _check_version(person: Person, expected_version: int | None) -> None:
    if expected_version is not None and person.version != expected_version:
        raise VersionConflictError(expected_version, person.version)


def person_set_active(
    *,
    person: Person,
    actor: Actor,
    active: bool,
    reason: str = "",
    first_day: bool = False,
    restriction_override: bool = False,
) -> Person:
    """Deactivate (a leaver) or reactivate a person. Invariant: an inactive person holds
    no active grant. Deactivation revokes every grant, cancels pending requests and hands
    on the approvals waiting for the person in the same transaction, whichever door
    (admin, SCIM, the leaver) it came through;
    reactivation restores only birthright grants. A future joiner's `first_day` is
    recorded as their start, not as a return. An erased person never comes back. A
    restricted person still leaves (ending access processes less), but comes back only
    with restriction_override."""
    if active:
        erased_identities.erased_person_check(actor=actor, person=person)
    with person_locked(person_id=person.pk) as locked:
        if locked.active == active:
            return locked
        if active and locked.restricted_at is not None and not restriction_override:
            raise RestrictedPersonError()
        # The row is locked: its next version is known without reading it back.
        locked.active = active
        locked.deactivated_at = None if active else timezone.now()
        locked.version += 1
        Person.objects.filter(pk=locked.pk).update(
            active=active, deactivated_at=locked.deactivated_at, version=locked.version
        )
        event_record(
            actor=actor,
            action=(Action.PERSON_STARTED if first_day else Action.PERSON_REACTIVATED)
            if active
            else Action.PERSON_DEACTIVATED,
            target=locked,
            subject_id=str(locked.pk),
            personal={"reason": reason} if reason else None,
        )
        why = reason or ("reactivated" if active else "deactivated")
        if active:
            access.birthright_apply(person=locked, actor=actor, reason=why)
        else:
            access.grants_revoke_all(person=locked, actor=actor, reason=why)
            requests.requests_cancel_for(person=locked, actor=actor)
            approvals_routing.approvals_hand_over(leaver=locked, actor=actor)
        person_pushed(locked.pk)  # outbound pushes
    return locked


def person_replace(
    *,
    person: Person,
    actor: Actor,
    fields: dict[str, Any],
    emails: Sequence[Contact] | None = None,
    phones: Sequence[Contact] | None = None,
    active: bool | None = None,
    expected_version: int | None = None,
    client: ScimClient | None = None,
) -> Person:
    """Apply a whole new state of a person (a SCIM PUT, or a PATCH's result): attributes,
    contacts and, when `active` changes, the leaver or returner path, all or nothing. A
    deactivation follows the client's deprovisioning policy."""
    person_replace_check(person=person, actor=actor, fields=fields, emails=emails, active=active)
    # The row locked once for the whole change: the services below work on it as locked.
    with (
        person_locked(person_id=person.pk, expected_version=expected_version) as locked,
        erased_identities.ledger_asked(),
    ):
        updated = person_update(
            person=locked, actor=actor, fields=fields, emails=emails, phones=phones
        )
        if active is not None and active != updated.active:
            updated = person_activity_set(person=updated, actor=actor, active=active, client=client)
    return updated


def person_replace_check(
    *,
    person: Person,
    actor: Actor,
    fields: dict[str, Any],
    emails: Sequence[Contact] | None = None,
    active: bool | None = None,
) -> None:
    """What person_replace asks the erasure ledger before its transaction opens: a refusal
    is recorded in a transaction of its own, and must outlive the change's rollback. A
    caller already in a transaction when person_replace refuses (a SCIM PATCH, under the
    row's lock) asks again once that has rolled back."""
    _erasure_guard(actor, fields, emails)
    if active and not person.active:
        erased_identities.erased_person_check(actor=actor, person=person)


def person_activity_set(
    *, person: Person, actor: Actor, active: bool, client: ScimClient | None = None
) -> Person:
    """The one door through which SCIM makes a person leave or come back. A leaver is
    kept or erased as the client's deprovisioning policy says for a deactivation."""
    # No savepoint: inside a PUT or PATCH, a failure here undoes the whole change.
    with transaction.atomic(savepoint=False):
        leaves = person.active and not active
        changed = person_set_active(person=person, actor=actor, active=active)
        if leaves:
            deprovisioning.person_deprovision(
                person=changed,
                actor=actor,
                client=client,
                trigger=deprovisioning.Trigger.DEACTIVATION,
            )
    return changed


def person_scim_delete(*, person: Person, actor: Actor, client: ScimClient | None = None) -> Person:
    """An identity provider deleted the person: they leave (the leaver path), and SCIM
    shows them no more. The client's deprovisioning policy says whether the record stays
    until retention or is erased at once."""
    # The row locked once for the whole change: person_set_active works on it as locked.
    with person_locked(person_id=person.pk):
        left = person_set_active(person=person, actor=actor, active=False)
        left.scim_deleted_at = timezone.now()
        left.version += 1
        Person.objects.filter(pk=left.pk).update(
            scim_deleted_at=left.scim_deleted_at, version=left.version
        )
        outcome = deprovisioning.person_deprovision(
            person=left, actor=actor, client=client, trigger=deprovisioning.Trigger.DELETE
        )
        event_record(
            actor=actor,
            action=Action.PERSON_DELETED,
            target=left,
            subject_id=str(left.pk),
            data={"kept_for_retention": outcome != deprovisioning.Outcome.ERASING},
        )
    return left


def person_scim_create(
    *,
    actor: Actor,
    fields: dict[str, Any],
    emails: Sequence[Contact] = (),
    phones: Sequence[Contact] = (),
    active: bool = True,
) -> Person:
    """Create a person over SCIM. A person the identity provider deleted keeps their record
    (retention), so when it POSTs them again the same record comes back instead of a 409:
    matched on externalId when one is sent, else on userName (a deleted record with another
    externalId is another person and still conflicts). The record is undeleted, given the
    POSTed state through person_replace, and the return is recorded."""
    _check_writable(fields)  # before the lookup: PostgreSQL refuses a NUL in a query
    _erasure_guard(actor, fields, emails)
    with erased_identities.ledger_asked():
        try:
            # Most POSTs create someone new: deleted records are looked up only when the
            # unique indexes refuse the insert, in a transaction of their own.
            return person_create(
                actor=actor, fields=fields, emails=emails, phones=phones, active=active
            )
        except UniquenessError:
            returned = _scim_return(
                actor=actor, fields=fields, emails=emails, phones=phones, active=active
            )
            if returned is None:
                raise
            return returned


def _scim_return(
    *,
    actor: Actor,
    fields: dict[str, Any],
    emails: Sequence[Contact],
    phones: Sequence[Contact],
    active: bool,
) -> Person | None:
    """Bring back the deleted person these attributes match, if any (person_scim_create)."""
    with transaction.atomic():
        returning, matched_on = _scim_deleted_match(fields)
        if returning is None:
            return None
        Person.objects.filter(pk=returning.pk).update(
            scim_deleted_at=None, version=F("version") + 1
        )
        returning.refresh_from_db()
        event_record(
            actor=actor,
            action=Action.PERSON_REACTIVATED,
            target=returning,
            subject_id=str(returning.pk),
            data={"scim_undeleted": True, "matched_on": matched_on},
        )
        return person_replace(
            person=returning,
            actor=actor,
            fields=fields,
            emails=list(emails),
            phones=list(phones),
            active=active,
        )


def _scim_deleted_match(fields: dict[str, Any]) -> tuple[Person | None, str]:
    """One query for both ways of matching; a match on externalId wins."""
    external_id = str(fields.get("external_id") or "")
    user_name = str(fields.get("user_name") or "")
    ways = {}
    if external_id:
        ways["externalId"] = Q(external_id=external_id)
    if user_name:
        # Without an externalId of its own: a record with another one is another person.
        ways["userName"] = Q(_user_name_is(user_name)) & (Q(external_id="") if external_id else Q())
    if not ways:
        return None, ""
    candidates = (
        Person.objects.filter(scim_deleted_at__isnull=False)
        .filter(reduce(or_, ways.values()))
        .select_for_update()
    )
    found = list(candidates[:2])  # both ways are unique: at most one person each
    for person in found:
        if external_id and person.external_id == external_id:
            return person, "externalId"
    return (found[0], "userName") if found else (None, "")


def _user_name_is(user_name: str) -> Exact[str]:
    """userName compared regardless of case, as lower() on both sides: the expression of
    the unique index (person_user_name_ci_unique), so PostgreSQL looks it up instead of
    scanning every person (iexact compiles to UPPER(), which no index covers)."""
    return Exact(Lower("user_name"), Lower(Value(user_name)))


def _erasure_guard(actor: Actor, fields: dict[str, Any], emails: Sequence[Contact] | None) -> None:
    """The erasure ledger's check, before the caller's transaction opens: a refusal is
    recorded in a transaction of its own, which an enclosing rollback would undo."""
    erased_identities.erased_identity_check(
        actor=actor, fields=fields, emails=[contact.value for contact in emails or ()]
    )


def _check_writable(fields: dict[str, Any]) -> None:
    unknown = set(fields) - WRITABLE_FIELDS
    if unknown:
        raise InvalidValueError(", ".join(sorted(unknown)), "not an attribute of a person")
    for name, value in fields.items():
        if not isinstance(value, str):
            continue
        limit = Person._meta.get_field(name).max_length  # type: ignore[union-attr]
        if limit and len(value) > limit:
            raise InvalidValueError(name, f"at most {limit} characters")
        if "\x00" in value:
            raise InvalidValueError(name, "contains a NUL character")


def check_unique(person: Person, *, attributes: Collection[str] = UNIQUE_FIELDS) -> None:
    """Raise UniquenessError if another person has this userName (in any case) or externalId
    (or only those of `attributes` that changed). One query, on the unique indexes."""
    clashes: dict[str, Q] = {}
    if "user_name" in attributes:
        clashes["userName"] = Q(_user_name_is(person.user_name))
    if "external_id" in attributes and person.external_id:
        clashes["externalId"] = Q(external_id=person.external_id)
    if not clashes:
        return
    found = (
        Person.objects.exclude(pk=person.pk)
        .filter(reduce(or_, clashes.values()))
        .aggregate(**{name: Count("pk", filter=clash) for name, clash in clashes.items()})
    )
    for name, value in (("userName", person.user_name), ("externalId", person.external_id)):
        if found.get(name):
            raise UniquenessError(name, value)


@contextmanager
def _uniqueness_guard(fields: dict[str, Any]) -> Iterator[None]:
    """Turn a unique index's refusal into the domain error naming the attribute: the
    inserts and renames rely on the indexes rather than a query before them. Used inside
    the caller's atomic block, whose rollback undoes the failed write: no savepoint of its
    own (one round trip pair less per write)."""
    try:
        yield
    except IntegrityError as error:
        message = str(error).lower()
        if "external_id" in message:
            raise UniquenessError("externalId", fields.get("external_id", "")) from error
        if "user_name" in message:
            raise UniquenessError("userName", fields.get("user_name", "")) from error
        raise InvalidValueError("emails or phoneNumbers", "duplicate or conflicting") from error


def _replace_contacts(
    person: Person,
    *,
    emails: Sequence[Contact] | None,
    phones: Sequence[Contact] | None,
) -> list[str]:
    """Replace a person's e-mails and phones with the given lists. Returns which changed.
    The stored ones are read in one query, in the order SCIM shows them (the primary
    first, then as added), and compared in that order."""
    if emails is None and phones is None:
        return []
    # As read with the row's lock (person_locked), where the database allows.
    stored = details_of([person], with_groups=True)[person.pk]
    changed = []
    for name, model, contacts, current in (
        ("emails", PersonEmail, emails, stored.emails),
        ("phoneNumbers", PersonPhone, phones, stored.phones),
    ):
        if contacts is None:
            continue
        _check_contacts(name, contacts, model)
        wanted = sorted(contacts, key=lambda contact: not contact.primary)
        if [(c.value, c.type, c.primary) for c in wanted] == [
            (row.value, row.type, row.primary) for row in current
        ]:
            continue
        model.objects.filter(person=person).delete()
        rows: list[Any] = [
            model(person=person, value=c.value, type=c.type, primary=c.primary) for c in contacts
        ]
        model.objects.bulk_create(rows)
        changed.append(name)
        current[:] = [ContactRow(c.value, c.type, c.primary) for c in wanted]
    if changed:
        details_set(person, stored)  # what the answer shows, without reading it back
    return changed


def _check_contacts(
    name: str, contacts: Sequence[Contact], model: type[PersonEmail] | type[PersonPhone]
) -> None:
    if sum(1 for c in contacts if c.primary) > 1:
        raise InvalidValueError(name, "only one value may be primary")
    allowed = CONTACT_TYPES[model]
    for contact in contacts:
        if not contact.value:
            raise InvalidValueError(name, "a value is required")
        if len(contact.value) > 254 or "\x00" in contact.value:
            raise InvalidValueError(name, "a value has at most 254 characters")
        if contact.type not in allowed:
            raise InvalidValueError(name, f"type must be one of {', '.join(sorted(allowed))}")
        if model is PersonEmail and (problem := address_problem(contact.value)):
            raise InvalidValueError(name, problem)


def _personal_snapshot(
    person: Person, emails: Sequence[Contact], phones: Sequence[Contact]
) -> dict[str, Any]:
    snapshot = {
        name: _audit_value(getattr(person, name))
        for name in sorted(WRITABLE_FIELDS)
        if getattr(person, name) not in ("", None)
    }
    snapshot["emails"] = [c.value for c in emails]
    snapshot["phoneNumbers"] = [c.value for c in phones]
    return snapshot


def _audit_value(value: Any) -> Any:
    """Another person (a manager) by their pseudonymous subject id, never by name: the
    detail is encrypted under this person's key, and would outlive the other's erasure.
    The identity history shows the name while that person still exists."""
    return str(value.pk) if isinstance(value, Person) else value
