"""Between scim2-models resources and the Django models. A resource is read as a flat map
of attribute paths (`userName`, `name.givenName`, `<enterprise URN>:department`), the same
paths the inventory and the agreements name."""

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from scim2_models import (
    Email,
    EnterpriseUser,
    GroupMember,
    GroupMembership,
    Manager,
    Meta,
    Name,
    PhoneNumber,
)
from scim2_models import Group as GroupResource
from scim2_models import User as UserModel

from compliance.inventory import ENTERPRISE
from provisioning.addresses import address_for_scim
from provisioning.errors import InvalidValueError
from provisioning.models import Group, Person
from provisioning.people_pages import ContactRow, PersonDetails
from provisioning.scim.etags import etag
from provisioning.services.persons import Contact

logger = logging.getLogger(__name__)

UserResource = UserModel[EnterpriseUser]

# SCIM attribute path -> Person field, for the single-valued strings.
STRING_FIELDS: dict[str, str] = {
    "userName": "user_name",
    "externalId": "external_id",
    "displayName": "display_name",
    "nickName": "nick_name",
    "title": "title",
    "userType": "employment_type",
    "preferredLanguage": "preferred_language",
    "locale": "locale",
    "timezone": "timezone",
    "name.givenName": "given_name",
    "name.middleName": "middle_name",
    "name.familyName": "family_name",
    "name.honorificPrefix": "honorific_prefix",
    "name.honorificSuffix": "honorific_suffix",
    f"{ENTERPRISE}:employeeNumber": "employee_number",
    f"{ENTERPRISE}:department": "department",
    f"{ENTERPRISE}:costCenter": "cost_center",
    f"{ENTERPRISE}:organization": "organization",
    f"{ENTERPRISE}:division": "division",
}
MANAGER = f"{ENTERPRISE}:manager"
# Attributes that describe the record, not the person, or that the portal derives.
NOT_PERSONAL = frozenset({"schemas", "id", "meta", "groups", "name.formatted"})
# Okta sends a placeholder password with every created user, even with password sync off
# (its SCIM 2.0 protocol reference). The portal keeps no passwords: one is discarded unread,
# never stored, audited or logged, whatever the client's agreement or mode.
DISCARDED = frozenset({"password"})


@dataclass(frozen=True)
class PersonChanges:
    fields: dict[str, Any]
    emails: list[Contact] | None
    phones: list[Contact] | None
    active: bool | None


def flatten(payload: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a dumped User as attribute paths."""
    flat: dict[str, Any] = {}
    for key, value in payload.items():
        if key == "name" and isinstance(value, dict):
            flat.update({f"name.{sub}": v for sub, v in value.items()})
        elif key.casefold() == ENTERPRISE.casefold() and isinstance(value, dict):
            flat.update({f"{ENTERPRISE}:{sub}": v for sub, v in value.items() if sub != "schemas"})
        elif key not in NOT_PERSONAL:
            flat[key] = value
    return {
        key: value
        for key, value in flat.items()
        if key not in NOT_PERSONAL and key not in DISCARDED
    }


def flatten_unknown(unknown: dict[str, Any]) -> dict[str, Any]:
    """Attributes no schema declares, as paths: `attr`, or `<extension URN>:attr`."""
    flat: dict[str, Any] = {}
    for key, value in unknown.items():
        if key.casefold().startswith("urn:") and isinstance(value, dict):
            flat.update({f"{key}:{sub}": v for sub, v in value.items()})
        else:
            flat[key] = value
    return flat


def user_dump(resource: UserModel[Any]) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=None, by_alias=True, exclude_none=True, mode="json")


def person_changes(flat: dict[str, Any], agreed: Iterable[str]) -> PersonChanges:
    """What a full representation means for the person: every agreed attribute it leaves
    out is cleared (PUT semantics); attributes outside the agreement are not touched."""
    agreed = set(agreed)
    fields: dict[str, Any] = {
        field: _text(attribute, field, flat.get(attribute))
        for attribute, field in STRING_FIELDS.items()
        if attribute in agreed
    }
    if MANAGER in agreed:
        fields["manager"] = _manager(flat.get(MANAGER))
    return PersonChanges(
        fields=fields,
        emails=_contacts(flat.get("emails")) if "emails" in agreed else None,
        phones=_contacts(flat.get("phoneNumbers")) if "phoneNumbers" in agreed else None,
        active=bool(flat["active"]) if "active" in agreed and "active" in flat else None,
    )


def _text(attribute: str, field: str, value: Any) -> str:
    """The value to store: checked here so that a refusal names the SCIM attribute, and
    a value too long for its column is refused, never cut."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValueError(attribute, "must be a string")
    limit = Person._meta.get_field(field).max_length  # type: ignore[union-attr]
    if limit and len(value) > limit:
        raise InvalidValueError(attribute, f"at most {limit} characters")
    return value


def _manager(value: Any) -> Person | None:
    manager_id = value.get("value") if isinstance(value, dict) else value
    if not manager_id:
        return None
    person = Person.objects.filter(pk=_uuid(manager_id), scim_deleted_at__isnull=True).first()
    if person is None:
        raise InvalidValueError(MANAGER, f"no user with id {manager_id}")
    return person


def _uuid(value: Any) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise InvalidValueError("value", f"{value!r} is not a resource id") from error


def _contacts(values: Any) -> list[Contact]:
    """An entry whose value is null is unassigned (RFC 7643 §2.5), so it is left out:
    that is how `phoneNumbers[type eq "work"].value` set to null removes the number."""
    return [
        Contact(
            value=str(item["value"]),
            type=str(item.get("type") or "work").lower(),
            primary=bool(item.get("primary")),
        )
        for item in values or []
        if item.get("value") is not None
    ]


def person_resource(
    person: Person,
    details: PersonDetails,
    *,
    base: str,
    agreed: Iterable[str],
    with_groups: bool,
    with_formatted: bool = False,
) -> UserResource:
    """The User a client may see: only its agreed personal attributes. `details` holds the
    person's contacts and groups (people_pages.person_details). name.formatted, derived,
    is given only to a client that asks for it (/Schemas declares it `returned: request`):
    a client that set the name's parts reads back exactly what it set."""
    agreed = {attribute.casefold() for attribute in agreed}

    def shown(attribute: str) -> bool:
        return attribute.casefold() in agreed

    names = {
        attribute.split(".")[1]: getattr(person, field) or None
        for attribute, field in STRING_FIELDS.items()
        if attribute.startswith("name.") and shown(attribute)
    }
    enterprise = {
        attribute.rsplit(":", 1)[1]: getattr(person, field) or None
        for attribute, field in STRING_FIELDS.items()
        if attribute.startswith(ENTERPRISE) and shown(attribute)
    }
    if shown(MANAGER) and person.manager_id:
        enterprise["manager"] = Manager(
            value=str(person.manager_id), ref=_ref(f"{base}/Users/{person.manager_id}")
        )
    simple = {
        field: getattr(person, field) or None
        for attribute, field in STRING_FIELDS.items()
        if "." not in attribute and ":" not in attribute and shown(attribute)
    }
    resource = UserResource(
        id=str(person.pk),
        user_name=person.user_name,  # always: it is how the client finds the person
        external_id=simple.get("external_id"),
        display_name=simple.get("display_name"),
        nick_name=simple.get("nick_name"),
        title=simple.get("title"),
        user_type=simple.get("employment_type"),
        preferred_language=simple.get("preferred_language"),
        locale=simple.get("locale"),
        timezone=simple.get("timezone"),
        active=person.active if shown("active") else None,
        name=Name(**_snake(names), formatted=_formatted(names) if with_formatted else None)
        if names
        else None,
        emails=[
            Email(value=address, type=_ref(row.type), primary=row.primary)
            for row, address in _scim_emails(person, details.emails)
        ]
        if shown("emails")
        else None,
        phone_numbers=[
            PhoneNumber(value=p.value, type=_ref(p.type), primary=p.primary) for p in details.phones
        ]
        if shown("phoneNumbers")
        else None,
        groups=[
            GroupMembership(
                value=str(group_id), ref=_ref(f"{base}/Groups/{group_id}"), type="direct"
            )
            for group_id in details.group_ids
        ]
        if with_groups
        else None,
        meta=_meta("User", person, f"{base}/Users/{person.pk}"),
    )
    if enterprise:
        resource[EnterpriseUser] = EnterpriseUser(**_snake(enterprise))
    return resource


# The order scim2-models dumps a User's attributes in; person_payload follows it, so that
# both give the same bytes.
_NAME_ORDER = ("formatted", "familyName", "givenName", "middleName", "honorificPrefix",
               "honorificSuffix")  # fmt: skip
_SIMPLE_ORDER = ("displayName", "nickName", "title", "userType", "preferredLanguage", "locale",
                 "timezone")  # fmt: skip
_ENTERPRISE_ORDER = ("employeeNumber", "costCenter", "organization", "division", "department")
_DATETIME = TypeAdapter(datetime)


@dataclass(frozen=True)
class _Shown:
    """What an agreement shows of a User, resolved once per agreement."""

    external_id: bool
    simple: tuple[tuple[str, str], ...]  # (SCIM name, Person field), in dump order
    names: tuple[tuple[str, str], ...]
    enterprise: tuple[tuple[str, str], ...]
    manager: bool
    active: bool
    emails: bool
    phones: bool


@cache
def _shown(agreed: frozenset[str]) -> _Shown:
    folded = {attribute.casefold() for attribute in agreed}

    def fields(prefix: str, order: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        return tuple(
            (name, STRING_FIELDS[prefix + name])
            for name in order
            if prefix + name in STRING_FIELDS and (prefix + name).casefold() in folded
        )

    return _Shown(
        external_id="externalid" in folded,
        simple=fields("", _SIMPLE_ORDER),
        names=fields("name.", _NAME_ORDER),
        enterprise=fields(f"{ENTERPRISE}:", _ENTERPRISE_ORDER),
        manager=MANAGER.casefold() in folded,
        active="active" in folded,
        emails="emails" in folded,
        phones="phonenumbers" in folded,
    )


def person_payload(
    person: Person, details: PersonDetails, *, base: str, agreed: Iterable[str], with_groups: bool
) -> dict[str, Any]:
    """person_resource dumped for a response that names no attributes or
    excludedAttributes, built as a dict: the same payload (tests hold the two equal), at a
    fraction of the cost of constructing and dumping the pydantic models on every lookup.
    Empty values are left out, as scim2-models leaves them out."""
    shown = _shown(frozenset(agreed))
    location = f"{base}/Users/{person.pk}"
    payload: dict[str, Any] = {"schemas": [UserModel.__schema__]}
    payload["id"] = str(person.pk)
    if shown.external_id and person.external_id:
        payload["externalId"] = person.external_id
    payload["meta"] = {
        "resourceType": "User",
        "created": _DATETIME.dump_python(person.created, mode="json"),
        "lastModified": _DATETIME.dump_python(person.modified, mode="json"),
        "location": location,
        "version": etag(person.version),
    }
    payload["userName"] = person.user_name
    names = {name: value for name, field in shown.names if (value := getattr(person, field))}
    if names:
        payload["name"] = {key: names[key] for key in _NAME_ORDER[1:] if key in names}
    payload.update(
        {name: value for name, field in shown.simple if (value := getattr(person, field))}
    )
    if shown.active:
        payload["active"] = person.active
    if shown.emails and (emails := _scim_emails(person, details.emails)):
        payload["emails"] = [_contact(row, address) for row, address in emails]
    if shown.phones and details.phones:
        payload["phoneNumbers"] = [_contact(p, p.value) for p in details.phones]
    if with_groups and details.group_ids:
        payload["groups"] = [
            {"value": str(group_id), "$ref": f"{base}/Groups/{group_id}", "type": "direct"}
            for group_id in details.group_ids
        ]
    enterprise = {
        name: value for name, field in shown.enterprise if (value := getattr(person, field))
    }
    if shown.manager and person.manager_id:
        enterprise["manager"] = {
            "value": str(person.manager_id),
            "$ref": f"{base}/Users/{person.manager_id}",
        }
    if enterprise:
        payload["schemas"].append(ENTERPRISE)
        payload[ENTERPRISE] = enterprise
    return payload


def _scim_emails(person: Person, rows: list[ContactRow]) -> list[tuple[ContactRow, str]]:
    """The person's e-mail rows with their addresses as SCIM gives them back. An address
    stored before the portal held addresses to SCIM's rule (provisioning.addresses) is
    left out rather than failing the answer, with a warning that names the person, not
    the address."""
    carried = []
    for row in rows:
        address = address_for_scim(row.value)
        if address is None:
            logger.warning("an e-mail address of person %s cannot go out over SCIM", person.pk)
            continue
        carried.append((row, address))
    return carried


def _contact(row: ContactRow, value: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": value} if value else {}
    if row.type:
        entry["type"] = row.type
    entry["primary"] = row.primary
    return entry


@dataclass(frozen=True)
class Member:
    """A member of a group as a response gives it: the person's id and displayName."""

    person_id: Any
    display_name: str


def group_resource(
    group: Group, *, base: str, members: list[Member] | None, agreed: Iterable[str]
) -> GroupResource:
    """A member's `display` is the person's displayName, given where the agreement shows
    displayNames (discovery._group_schema declares it the same way)."""
    with_display = "displayname" in {attribute.casefold() for attribute in agreed}
    return GroupResource(
        id=str(group.pk),
        display_name=group.display_name,
        external_id=group.external_id or None,
        members=[
            GroupMember(
                value=str(member.person_id),
                ref=_ref(f"{base}/Users/{member.person_id}"),
                type="User",
                display=(member.display_name or None) if with_display else None,
            )
            for member in members
        ]
        if members is not None
        else None,
        meta=_meta("Group", group, f"{base}/Groups/{group.pk}"),
    )


def _formatted(names: dict[str, str | None]) -> str | None:
    """The full name from the agreed parts only, so it discloses nothing more."""
    order = ("honorificPrefix", "givenName", "middleName", "familyName", "honorificSuffix")
    return " ".join(part for key in order if (part := names.get(key))) or None


def _meta(resource_type: str, record: Person | Group, location: str) -> Meta:
    return Meta(
        resource_type=resource_type,
        created=record.created,
        last_modified=record.modified,
        location=location,
        version=etag(record.version),
    )


def _ref(value: str) -> Any:
    """A string where scim2-models types a Reference or an enum: it validates the string."""
    return value


def _snake(values: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower(): value for key, value in values.items()}
