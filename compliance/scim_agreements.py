"""What each identity provider may send and read over SCIM: the agreed attributes.

The organisation decides, per SCIM client, which personal attributes it processes for that
client (GDPR Art. 5(1)(c), data minimisation). A client is given one of these profiles. The
API serves, accepts and advertises (on /Schemas) only the attributes of the client's
profile; anything else personal is refused, or dropped and recorded, depending on the
client's mode. Every attribute named here must be declared in the inventory with the
profile's recipients, or `manage.py check` fails: the two files are reviewed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from compliance.inventory import ENTERPRISE

IDENTITY_PROVIDERS = "identity providers"


@dataclass(frozen=True)
class Agreement:
    name: str
    description: str
    attributes: frozenset[str]
    recipient: str = IDENTITY_PROVIDERS

    def allows(self, attribute: str) -> bool:
        return attribute.casefold() in self._folded

    @cached_property
    def _folded(self) -> frozenset[str]:
        """The attributes as allows() compares them (names ignore case), folded once: it is
        asked about every attribute of every User a client sends."""
        return frozenset(name.casefold() for name in self.attributes)


# Every client needs these to address a person at all.
ACCOUNT = frozenset({"userName", "externalId", "active"})
NAMES = frozenset({"displayName", "name.givenName", "name.familyName"})
ORGANISATION = frozenset(
    f"{ENTERPRISE}:{name}"
    for name in ("employeeNumber", "department", "costCenter", "organization", "division")
) | {f"{ENTERPRISE}:manager"}

AGREEMENTS: dict[str, Agreement] = {
    agreement.name: agreement
    for agreement in (
        Agreement(
            "minimal",
            "Account, names and e-mail addresses only.",
            ACCOUNT | NAMES | {"emails"},
        ),
        Agreement(
            "directory",
            "Entra ID or Okta as the source of people: account, names, work contact details, "
            "job title and the enterprise extension (organisation and manager).",
            ACCOUNT
            | NAMES
            | ORGANISATION
            | {"emails", "phoneNumbers", "title", "preferredLanguage", "userType"},
        ),
    )
}


def agreement_for(name: str) -> Agreement:
    return AGREEMENTS[name]


def profile_choices() -> list[tuple[str, str]]:
    return [
        (agreement.name, f"{agreement.name}: {agreement.description}")
        for agreement in AGREEMENTS.values()
    ]


def readable_attribute(path: str) -> str:
    """A SCIM attribute as an IT admin reads it: "department (enterprise)", not the
    extension's URN."""
    if path.startswith(ENTERPRISE + ":"):
        return f"{path.removeprefix(ENTERPRISE + ':')} (enterprise)"
    return path


def readable_attributes(agreement: Agreement) -> list[str]:
    return sorted(readable_attribute(name) for name in agreement.attributes)
