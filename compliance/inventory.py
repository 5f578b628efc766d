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

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class Category(models.TextChoices):
    IDENTITY = "identity", "identity and name"
    CONTACT = "contact", "contact details"
    EMPLOYMENT = "employment", "employment and organisation"
    ACCESS = "access", "access and entitlements"
    TECHNICAL = "technical", "technical and security logs"
    PRIVACY = "privacy", "privacy choices and restrictions"


class StatutoryCategory(models.TextChoices):
    """The categories of personal information the CCPA names (Cal. Civ. Code
    §1798.140(v)(1)), which its notices and answers to a right to know must use."""

    IDENTIFIERS = "identifiers", "identifiers (§1798.140(v)(1)(A))"
    CUSTOMER_RECORDS = (
        "customer-records",
        "personal information in customer records, §1798.80(e) (§1798.140(v)(1)(B))",
    )
    NETWORK_ACTIVITY = (
        "network-activity",
        "internet or other electronic network activity information (§1798.140(v)(1)(F))",
    )
    EMPLOYMENT = (
        "employment",
        "professional or employment-related information (§1798.140(v)(1)(I))",
    )
    SENSITIVE = "sensitive", "sensitive personal information (§1798.140(v)(1)(L))"


# The statutory category of each of the portal's own categories, unless an entry says
# otherwise (a phone number is a customer record, not an identifier, in the statute).
STATUTORY_CATEGORY: dict[Category, StatutoryCategory] = {
    Category.IDENTITY: StatutoryCategory.IDENTIFIERS,
    Category.CONTACT: StatutoryCategory.IDENTIFIERS,
    Category.EMPLOYMENT: StatutoryCategory.EMPLOYMENT,
    Category.ACCESS: StatutoryCategory.EMPLOYMENT,
    Category.TECHNICAL: StatutoryCategory.NETWORK_ACTIVITY,
    # A workforce portal: the employer's record of an employee's privacy choices is part
    # of the employment relationship's records.
    Category.PRIVACY: StatutoryCategory.EMPLOYMENT,
}


class LawfulBasis(models.TextChoices):
    """GDPR Art. 6(1)."""

    CONTRACT = "contract", "Art. 6(1)(b) performance of the employment contract"
    LEGAL_OBLIGATION = "legal-obligation", "Art. 6(1)(c) legal obligation"
    LEGITIMATE_INTERESTS = "legitimate-interests", "Art. 6(1)(f) legitimate interests"


@dataclass(frozen=True)
class Retention:
    """How long after an anchor event the data is kept. An `exception` says why no
    retention job can shorten it and how long it is kept instead; the retention job and
    its coverage test leave such a field alone, and the records say the exception."""

    days: int
    after: str = "the person leaves"
    exception: str = ""

    def __str__(self) -> str:
        return self.exception or f"{self.days} days after {self.after}"


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
    # Sensitive personal information under CPRA §1798.140(ae) (government identifiers,
    # account credentials, precise geolocation, origin, beliefs, union membership, health,
    # sex life, genetic or biometric data, the contents of someone's own messages). The
    # limit on its use (§1798.121) keeps it from connectors that do not need it.
    sensitive: bool = False
    statutory: StatutoryCategory | None = None

    @property
    def key(self) -> str:
        return f"{self.model}.{self.field}"

    @property
    def statutory_category(self) -> StatutoryCategory:
        """The CCPA category: the entry's own, or the one its category maps to."""
        if self.sensitive:
            return StatutoryCategory.SENSITIVE
        return self.statutory or STATUTORY_CATEGORY[self.category]


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


@dataclass(frozen=True)
class Recipient:
    """Someone the inventory names as receiving personal data, and whether giving it to
    them is a sale (§1798.140(ad)) or sharing for cross-context behavioural advertising
    (§1798.140(ah)). Service providers and contractors under a written contract
    (§1798.140(ag), (j)) are neither."""

    name: str
    sold_or_shared: bool = False


# Every recipient the declarations name. None of them buys the data or uses it for
# advertising: identity providers and provisioned applications are the employer's own
# service providers, the rest are the employer's staff, the authority, the addressees.
RECIPIENTS: dict[str, Recipient] = {
    recipient.name: recipient
    for recipient in (
        Recipient("identity providers"),
        Recipient(PROVISIONED_RECIPIENT),
        Recipient("auditors"),
        Recipient("privacy officers"),
        Recipient("the person"),
        Recipient("the supervisory authority"),
        Recipient("the addressees"),
        Recipient("IT"),
    )
}

# The domain says which of a recipient's members buy the data or use it for advertising,
# read when asked: the downstream applications whose connector is marked so are the
# "provisioned applications" that sell or share (provisioning.connectors).
_sellers: dict[str, Callable[[], list[str]]] = {}


def register_sale_recipients(recipient: str, sellers: Callable[[], list[str]]) -> None:
    _sellers[recipient] = sellers


def selling_recipients() -> frozenset[str]:
    """The recipients the personal data is sold or shared to: declared so, or with a
    member that a domain says sells or shares."""
    declared = {name for name, recipient in RECIPIENTS.items() if recipient.sold_or_shared}
    return frozenset(declared | {name for name, sellers in _sellers.items() if sellers()})


def sold_or_shared_to() -> list[str]:
    """Everyone personal data is sold or shared to: declared recipients and the members a
    domain registered. Empty means the portal neither sells nor shares."""
    declared = [name for name, recipient in RECIPIENTS.items() if recipient.sold_or_shared]
    return declared + [member for sellers in _sellers.values() for member in sellers()]


def sensitive_scim_attributes() -> frozenset[str]:
    """The SCIM attributes whose values are sensitive personal information."""
    return frozenset(
        entry.scim_attribute for entry in INVENTORY if entry.sensitive and entry.scim_attribute
    )


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
