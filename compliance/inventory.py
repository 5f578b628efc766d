"""The personal-data inventory: every field of every model of the portal's apps, declared once.

Each app declares the fields of its own models, once and immutably, in a module of its own
(portal.inventory, provisioning.inventory, compliance.declarations), and registers them in
its AppConfig.ready(). A field is personal data (a PersonalField, with category, purpose,
lawful basis, retention, source and recipients), technical (keys and bookkeeping), or in a
model that holds no personal data at all. A field that is none of these fails `manage.py
check` (compliance.checks). The inventory feeds the SCIM schema, the export engine and the
records of processing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class Category(models.TextChoices):
    IDENTITY = "identity", "identity and name"
    CONTACT = "contact", "contact details"
    EMPLOYMENT = "employment", "employment and organisation"
    ACCESS = "access", "access and entitlements"
    TECHNICAL = "technical", "technical and security logs"


class LawfulBasis(models.TextChoices):
    """GDPR Art. 6(1)."""

    CONTRACT = "contract", "Art. 6(1)(b) performance of the employment contract"
    LEGAL_OBLIGATION = "legal-obligation", "Art. 6(1)(c) legal obligation"
    LEGITIMATE_INTERESTS = "legitimate-interests", "Art. 6(1)(f) legitimate interests"


@dataclass(frozen=True)
class Retention:
    """How long after an anchor event the data is kept."""

    days: int
    after: str = "the person leaves"

    def __str__(self) -> str:
        return f"{self.days} days after {self.after}"


EMPLOYMENT_RETENTION = Retention(days=90)
SECURITY_RETENTION = Retention(days=365 * 2, after="the event")
EXPORT_RETENTION = Retention(days=30, after="the package is made")
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PROVISIONED_RECIPIENT = "provisioned applications"


@dataclass(frozen=True)
class PersonalField:
    model: str
    field: str
    category: Category
    purpose: str
    lawful_basis: LawfulBasis = LawfulBasis.CONTRACT
    retention: Retention = EMPLOYMENT_RETENTION
    source: str = "HR, or the identity provider over SCIM"
    recipients: tuple[str, ...] = ("identity providers", PROVISIONED_RECIPIENT)
    scim_attribute: str | None = None

    @property
    def key(self) -> str:
        return f"{self.model}.{self.field}"


@dataclass(frozen=True)
class Technical:
    """Fields of a model that identify nothing about a person by themselves: keys,
    versions, flags about the record, and references already covered by the model they
    point to."""

    model: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Declarations:
    """What one app declares about the fields of its own models (labelled "app.Model")."""

    app: str
    personal: tuple[PersonalField, ...]
    technical: tuple[Technical, ...]
    no_personal_data: tuple[str, ...] = ()

    def models(self) -> Iterator[str]:
        yield from (entry.model for entry in self.personal)
        yield from (entry.model for entry in self.technical)
        yield from self.no_personal_data


class Registry(Collection[PersonalField]):
    """The personal fields every app registered, in the order the apps registered them
    (Django runs the ready() methods in the order of INSTALLED_APPS), each app's in the
    order it declares them."""

    def __init__(self) -> None:
        self._declarations: dict[str, Declarations] = {}

    def register(self, declarations: Declarations) -> None:
        """Each app registers once, declares only its own models, and each field once."""
        app = declarations.app
        if app in self._declarations:
            raise ImproperlyConfigured(f"{app} registered its inventory twice.")
        foreign = sorted(
            {label for label in declarations.models() if not label.startswith(f"{app}.")}
        )
        if foreign:
            raise ImproperlyConfigured(
                f"{app} declares models of another app: {', '.join(foreign)}."
            )
        keys = [entry.key for entry in declarations.personal]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ImproperlyConfigured(f"Declared twice in the inventory: {', '.join(twice)}.")
        self._declarations[app] = declarations

    @property
    def apps(self) -> tuple[str, ...]:
        return tuple(self._declarations)

    def technical(self, model: str) -> frozenset[str]:
        return frozenset(
            name
            for declarations in self._declarations.values()
            for entry in declarations.technical
            if entry.model == model
            for name in entry.fields
        )

    def holds_no_personal_data(self, model: str) -> bool:
        return any(model in d.no_personal_data for d in self._declarations.values())

    def __iter__(self) -> Iterator[PersonalField]:
        for declarations in self._declarations.values():
            yield from declarations.personal

    def __len__(self) -> int:
        return sum(len(declarations.personal) for declarations in self._declarations.values())

    def __contains__(self, entry: object) -> bool:
        return any(entry == declared for declared in self)


INVENTORY = Registry()


def register(declarations: Declarations) -> None:
    """Called by each app's AppConfig.ready() with its inventory module's declarations."""
    INVENTORY.register(declarations)


def personal_fields(model_label: str | None = None) -> tuple[PersonalField, ...]:
    return tuple(entry for entry in INVENTORY if model_label in (None, entry.model))


def by_scim_attribute() -> dict[str, PersonalField]:
    return {entry.scim_attribute: entry for entry in INVENTORY if entry.scim_attribute}


# Which SCIM attributes each downstream application may receive, by application name
# (case ignored). An attribute must also be declared in the inventory with "provisioned
# applications" among its recipients. A connector's attribute mapping outside this list is
# refused (a form error), and pushes filter against it again. Changing it is a reviewed
# commit.
PROVISIONED_APPLICATIONS: dict[str, frozenset[str]] = {
    "github": frozenset({"userName", "active", "displayName", "emails"}),
    "slack": frozenset(
        {
            "userName",
            "active",
            "displayName",
            "name.givenName",
            "name.familyName",
            "title",
            "emails",
            f"{ENTERPRISE}:department",
        }
    ),
    "salesforce": frozenset(
        {
            "userName",
            "active",
            "displayName",
            "name.givenName",
            "name.familyName",
            "title",
            "emails",
            "phoneNumbers",
            f"{ENTERPRISE}:department",
            f"{ENTERPRISE}:division",
        }
    ),
    "workday": frozenset(
        {
            "userName",
            "active",
            "displayName",
            "name.givenName",
            "name.familyName",
            "title",
            "emails",
            "userType",
            f"{ENTERPRISE}:department",
            f"{ENTERPRISE}:employeeNumber",
            f"{ENTERPRISE}:costCenter",
            f"{ENTERPRISE}:organization",
            f"{ENTERPRISE}:division",
        }
    ),
    "netsuite": frozenset(
        {"userName", "active", "displayName", "emails", f"{ENTERPRISE}:costCenter"}
    ),
}
