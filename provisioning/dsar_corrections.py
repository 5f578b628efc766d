"""Correction at a person's request (GDPR Art. 16, CCPA §1798.106), as the identity domain
offers it to compliance's correction step: the attributes a privacy officer may correct,
with the person's e-mail addresses and phone numbers (add, change, remove, choose the
primary), and the door that corrects them through the person service, so the change is
recorded there and pushed downstream like any other."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.db import models

from compliance.audit.actor import Actor
from compliance.dsar.corrections import Changes
from compliance.errors import ControlRefusedError
from provisioning.addresses import validate_address
from provisioning.errors import ProvisioningError
from provisioning.models import Person, PersonEmail, PersonPhone
from provisioning.services import persons
from provisioning.services.persons import Contact

# The attributes a privacy officer may correct at a person's request: what the person
# would recognise as theirs. Identifiers (userName, externalId, the employee number),
# dates and the manager are the systems' keys, corrected at the source.
CORRECTABLE = (
    "honorific_prefix",
    "given_name",
    "middle_name",
    "family_name",
    "honorific_suffix",
    "display_name",
    "nick_name",
    "title",
    "department",
    "location",
    "organization",
    "division",
    "preferred_language",
    "locale",
    "timezone",
)


class ContactKind:
    """The e-mails or the phones of the correction form: one value and type field per
    contact held (emptied, it is removed), one pair for a new one, and which is primary.
    The form's fields are named <prefix>_<n>, <prefix>_<n>_type, <prefix>_new,
    <prefix>_new_type and <prefix>_primary."""

    def __init__(
        self,
        prefix: str,
        model: type[PersonEmail] | type[PersonPhone],
        noun: str,
        attribute: str,
        validators: list[Any],
    ) -> None:
        self.prefix, self.model, self.noun = prefix, model, noun
        self.attribute, self.validators = attribute, validators

    def held(self, subject_id: str) -> list[Contact]:
        rows = self.model.objects.filter(person_id=subject_id).order_by("-primary", "id")
        return [Contact(row.value, row.type, row.primary) for row in rows]

    def fields(self, held: list[Contact]) -> dict[str, forms.Field]:
        types = self.model.Type.choices
        fields: dict[str, forms.Field] = {}
        primary = [("", f"no primary {self.noun}")]
        for index, contact in enumerate(held):
            fields[f"{self.prefix}_{index}"] = self._value(
                f"{self.noun.capitalize()} {index + 1}", f"Empty it to remove this {self.noun}."
            )
            fields[f"{self.prefix}_{index}_type"] = forms.ChoiceField(
                label=f"{self.noun.capitalize()} {index + 1}: type", choices=types
            )
            primary.append((str(index), f"{self.noun} {index + 1} ({contact.value})"))
        fields[f"{self.prefix}_new"] = self._value(
            f"New {self.noun}", f"To add a {self.noun} the person gave; leave empty otherwise."
        )
        fields[f"{self.prefix}_new_type"] = forms.ChoiceField(
            label=f"New {self.noun}: type", choices=types, initial=types[0][0]
        )
        primary.append(("new", f"the new {self.noun}"))
        fields[f"{self.prefix}_primary"] = forms.ChoiceField(
            label=f"Primary {self.noun}", choices=primary, required=False
        )
        return fields

    def _value(self, label: str, help_text: str) -> forms.CharField:
        return forms.CharField(
            label=label,
            max_length=254,
            required=False,
            validators=self.validators,
            help_text=help_text,
        )

    def initial(self, held: list[Contact]) -> dict[str, Any]:
        values: dict[str, Any] = {f"{self.prefix}_primary": ""}
        for index, contact in enumerate(held):
            values[f"{self.prefix}_{index}"] = contact.value
            values[f"{self.prefix}_{index}_type"] = contact.type
            if contact.primary:
                values[f"{self.prefix}_primary"] = str(index)
        values[f"{self.prefix}_new"] = ""
        values[f"{self.prefix}_new_type"] = self.model.Type.choices[0][0]
        return values

    def corrected(self, held: list[Contact], changed: dict[str, Any]) -> list[Contact] | None:
        """The contacts after the officer's changes, or None when none of them changed.
        Refuses, in the officer's words, what the person service would refuse less
        plainly: the primary removed, a new primary with no value, the same twice."""
        if not any(name.startswith(f"{self.prefix}_") for name in changed):
            return None
        values = {**self.initial(held), **changed}
        primary = str(values[f"{self.prefix}_primary"] or "")
        after: list[Contact] = []
        for index in range(len(held)):
            value = str(values[f"{self.prefix}_{index}"] or "").strip()
            if value:
                kind = values[f"{self.prefix}_{index}_type"]
                after.append(Contact(value, kind, primary == str(index)))
            elif primary == str(index):
                raise ControlRefusedError(
                    f"You removed the primary {self.noun}: choose another one as primary, "
                    "or no primary.",
                    f"{self.prefix}_primary",
                )
        new = str(values[f"{self.prefix}_new"] or "").strip()
        if new:
            after.append(Contact(new, values[f"{self.prefix}_new_type"], primary == "new"))
        elif primary == "new":
            raise ControlRefusedError(
                f"Give the new {self.noun} to make it the primary one.", f"{self.prefix}_new"
            )
        seen: set[tuple[str, str]] = set()
        for contact in after:
            key = (contact.value.lower(), contact.type)
            if key in seen:
                raise ControlRefusedError(
                    f"{contact.value} is listed twice as a {contact.type} {self.noun}; "
                    "keep it once.",
                    None,
                )
            seen.add(key)
        return after


EMAILS = ContactKind("email", PersonEmail, "e-mail address", "emails", [validate_address])
PHONES = ContactKind("phone", PersonPhone, "phone number", "phoneNumbers", [])
CONTACT_KINDS = (EMAILS, PHONES)


def correctable_fields(subject_id: str) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for name in CORRECTABLE:
        field = Person._meta.get_field(name)
        assert isinstance(field, models.Field)
        form_field = field.formfield(required=False)
        assert form_field is not None  # text fields all have one
        fields[name] = form_field
    for kind in CONTACT_KINDS:
        fields.update(kind.fields(kind.held(subject_id)))
    return fields


def correctable_values(subject_id: str) -> dict[str, Any]:
    held: dict[str, Any] = Person.objects.filter(pk=subject_id).values(*CORRECTABLE).get()
    for kind in CONTACT_KINDS:
        held.update(kind.initial(kind.held(subject_id)))
    return held


def _shown(contacts: list[Contact]) -> list[str]:
    return [f"{c.value} ({c.type}{', primary' if c.primary else ''})" for c in contacts]


def person_correct(subject_id: str, values: dict[str, Any], actor: Actor) -> Changes:
    """Through the person service, as a privacy officer may even while the person is
    restricted: the change is recorded and pushed downstream like any other. E-mails and
    phones are corrected as whole lists (the service replaces them), built from what is
    held and what the officer changed."""
    contact_names = {
        name for name in values for kind in CONTACT_KINDS if name.startswith(f"{kind.prefix}_")
    }
    unknown = sorted(set(values) - set(CORRECTABLE) - contact_names)
    if unknown:
        raise ControlRefusedError(f"not correctable here: {', '.join(unknown)}")
    fields = {name: value for name, value in values.items() if name in CORRECTABLE}
    person = Person.objects.get(pk=subject_id)
    before = {name: getattr(person, name) for name in fields}
    changes: Changes = {
        name: (before[name], value) for name, value in fields.items() if before[name] != value
    }
    lists: dict[str, list[Contact] | None] = {}
    for kind in CONTACT_KINDS:
        held = kind.held(subject_id)
        after = kind.corrected(held, {n: v for n, v in values.items() if n in contact_names})
        if after is not None and _shown(after) != _shown(held):
            changes[kind.attribute] = (_shown(held), _shown(after))
            lists[kind.attribute] = after
    with refused_as_compliance(form_fields=CORRECTABLE):
        persons.person_update(
            person=person,
            actor=actor,
            fields=fields,
            emails=lists.get(EMAILS.attribute),
            phones=lists.get(PHONES.attribute),
            reason="corrected at the person's request (data-subject request)",
            restriction_override=True,
        )
    return changes


@contextmanager
def refused_as_compliance(form_fields: tuple[str, ...] = ()) -> Iterator[None]:
    """A refusal of the identity services, told to compliance's steps in their terms: on
    the form's field when the refused attribute is one of `form_fields`."""
    try:
        yield
    except ProvisioningError as error:
        attribute = getattr(error, "attribute", None)
        field = attribute if attribute in form_fields else None
        problem = str(error).removeprefix(f"{attribute}: ") if attribute else str(error)
        raise ControlRefusedError(problem[:1].upper() + problem[1:], field) from error
