"""What a person looks like to a downstream application: the SCIM attributes the connector
maps, limited to those the personal-data inventory allows for that application."""

from collections.abc import Callable
from typing import Any

from compliance import inventory
from provisioning.connectors.models import Connector
from provisioning.models import Application, Person

ENTERPRISE = inventory.ENTERPRISE
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
# Sent with every account whatever the mapping: the account's name and whether it may sign in.
REQUIRED = ("userName", "active")


def _contacts(related: str) -> Callable[[Person], Any]:
    def values(person: Person) -> Any:
        rows = [
            {"value": c.value, "type": c.type, "primary": c.primary}
            for c in getattr(person, related).all()
        ]
        return rows or None

    return values


def _text(field: str) -> Callable[[Person], Any]:
    return lambda person: getattr(person, field) or None


# Every attribute the portal knows how to send, by its SCIM path.
VALUES: dict[str, Callable[[Person], Any]] = {
    "userName": _text("user_name"),
    "active": lambda person: person.active,
    "displayName": _text("display_name"),
    "nickName": _text("nick_name"),
    "title": _text("title"),
    "userType": _text("employment_type"),
    "preferredLanguage": _text("preferred_language"),
    "locale": _text("locale"),
    "timezone": _text("timezone"),
    "name.givenName": _text("given_name"),
    "name.middleName": _text("middle_name"),
    "name.familyName": _text("family_name"),
    "name.honorificPrefix": _text("honorific_prefix"),
    "name.honorificSuffix": _text("honorific_suffix"),
    "emails": _contacts("emails"),
    "phoneNumbers": _contacts("phone_numbers"),
    f"{ENTERPRISE}:department": _text("department"),
    f"{ENTERPRISE}:employeeNumber": _text("employee_number"),
    f"{ENTERPRISE}:costCenter": _text("cost_center"),
    f"{ENTERPRISE}:organization": _text("organization"),
    f"{ENTERPRISE}:division": _text("division"),
}


def allowed_attributes(application: Application) -> frozenset[str]:
    """The attributes this application may receive: declared in the inventory with
    provisioned applications as recipients, and on the application's allow-list."""
    declared = {
        attribute
        for attribute, entry in inventory.by_scim_attribute().items()
        if inventory.PROVISIONED_RECIPIENT in entry.recipients
    }
    listed = inventory.PROVISIONED_APPLICATIONS.get(application.name.lower(), frozenset())
    return frozenset(listed & declared & VALUES.keys())


def refused_attributes(application: Application, attributes: list[str]) -> list[str]:
    allowed = allowed_attributes(application)
    return sorted(set(attributes) - allowed)


def sent_attributes(connector: Connector) -> list[str]:
    """The attributes a push sends: the mapping, always filtered against the inventory again
    so that a mapping written around the admin's validation still cannot leak."""
    allowed = allowed_attributes(connector.application)
    return sorted((set(connector.attributes) | set(REQUIRED)) & allowed)


def desired_values(person: Person, connector: Connector, *, active: bool) -> dict[str, Any]:
    """Every sent attribute by SCIM path; None means the attribute should be absent.
    `active` is whether the account should be usable (the person is in the connector's scope)."""
    values = {path: VALUES[path](person) for path in sent_attributes(connector)}
    if person.limit_sensitive_at is not None and not connector.sensitive_needed:
        # CCPA §1798.121: the person limited the use of their sensitive information, and
        # this application does not need it; absent, so what was sent before is removed.
        values.update(dict.fromkeys(inventory.sensitive_scim_attributes() & values.keys()))
    if "active" in values:
        values["active"] = active
    return values


def user_payload(person: Person, values: dict[str, Any]) -> dict[str, Any]:
    """A SCIM User document from attribute values by path. externalId is the portal's id
    for the person, so a retried create can find the account it already made."""
    schemas = [USER_SCHEMA]
    payload: dict[str, Any] = {"externalId": str(person.pk)}
    for path, value in values.items():
        if value is None:
            continue
        if path.startswith(f"{ENTERPRISE}:"):
            payload.setdefault(ENTERPRISE, {})[path.removeprefix(f"{ENTERPRISE}:")] = value
            if ENTERPRISE not in schemas:
                schemas.append(ENTERPRISE)
        elif "." in path:
            parent, child = path.split(".", 1)
            payload.setdefault(parent, {})[child] = value
        else:
            payload[path] = value
    payload["schemas"] = schemas
    return payload


def downstream_values(document: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """The values a downstream User document holds at these paths (None when absent)."""
    found: dict[str, Any] = {}
    for path in paths:
        if path.startswith(f"{ENTERPRISE}:"):
            value = (document.get(ENTERPRISE) or {}).get(path.removeprefix(f"{ENTERPRISE}:"))
        elif "." in path:
            parent, child = path.split(".", 1)
            value = (document.get(parent) or {}).get(child)
        else:
            value = document.get(path)
        if isinstance(value, list):
            value = [_contact(item) for item in value] or None
        found[path] = value
    return found


def _contact(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "value": item.get("value"),
        "type": item.get("type"),
        "primary": bool(item.get("primary")),
    }
