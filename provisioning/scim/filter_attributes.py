"""Where each filterable SCIM attribute is stored: the columns and related rows that
filters and sort orders of provisioning.scim.filters translate to.

Attributes are keyed by their URN as scim2-models spells it once resolved, so a filter may
name them in any case, with or without their schema. An attribute missing here is one the
portal does not store: filtering on it is refused rather than silently never matching.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.db.models import CharField, F, Model, OuterRef, Q, QuerySet
from django.db.models import Value as V
from django.db.models.expressions import Case, Combinable, When
from django.db.models.functions import Concat, Lower, RTrim

from provisioning.models import Membership, Person, PersonEmail, PersonPhone

# Sort orders are plain order_by strings, so that the case-insensitive order of userName
# (the one its unique index is built on) can be asked for as "user_name__lower".
CharField.register_lookup(Lower)

USER = "urn:ietf:params:scim:schemas:core:2.0:User:"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group:"


class Kind(Enum):
    """How values of a column compare. Every column is NOT NULL: an absent string is
    stored as "", which is why comparisons treat "" as no value at all."""

    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "dateTime"
    UUID = "uuid"


@dataclass(frozen=True)
class Column:
    """A single-valued attribute held in one column, or computed from several."""

    field: str
    kind: Kind = Kind.STRING
    ignores_case: bool = False
    """Compare without case whatever the schema says (userName, RFC 7643 §4.1.1)."""
    computed: bool = False
    """The value is an expression over several columns; it cannot be a sort key string."""

    def expression(self) -> Combinable:
        if self.computed:
            return COMPUTED[self.field]()
        return F(self.field)


@dataclass(frozen=True)
class Composite:
    """A single-valued complex attribute whose sub-attributes are columns of the resource
    itself, such as name or meta."""

    sub_attributes: Mapping[str, Column]


@dataclass(frozen=True)
class Related:
    """A complex attribute held in rows of another table: the multi-valued emails,
    phoneNumbers, groups and members, and the single-valued enterprise manager.

    Conditions on it become EXISTS subqueries, so that every condition inside one value
    selection applies to the same row, and negating one is two-valued."""

    model: type[Model]
    link: str
    """The row's field that points at the resource..."""
    outer: str = "pk"
    """...and the resource's field it points at."""
    sub_attributes: Mapping[str, Column] = field(default_factory=dict)
    path: str | None = None
    """The ORM path from the resource when it holds one row at most: then it can sort."""

    def rows(self) -> "QuerySet[Any]":
        return self.model._default_manager.filter(**{self.link: OuterRef(self.outer)})


Attribute = Column | Composite | Related


def _formatted_name() -> Combinable:
    """Person.formatted_name in SQL: the non-empty parts joined by single spaces."""
    parts = ("honorific_prefix", "given_name", "middle_name", "family_name")
    spaced = [
        Case(When(~Q(**{part: ""}), then=Concat(F(part), V(" "))), default=V("")) for part in parts
    ]
    return RTrim(Concat(*spaced, output_field=CharField()))


COMPUTED = {"formatted_name": _formatted_name}

_CONTACT_POINT = {
    "value": Column("value"),
    "type": Column("type"),
    "primary": Column("primary", Kind.BOOLEAN),
}

_META = Composite(
    {
        "created": Column("created", Kind.DATETIME),
        "lastModified": Column("modified", Kind.DATETIME),
    }
)

USER_ATTRIBUTES: Mapping[str, Attribute] = {
    f"{USER}id": Column("id", Kind.UUID),
    f"{USER}externalId": Column("external_id"),
    f"{USER}userName": Column("user_name", ignores_case=True),
    f"{USER}name": Composite(
        {
            "formatted": Column("formatted_name", computed=True),
            "familyName": Column("family_name"),
            "givenName": Column("given_name"),
            "middleName": Column("middle_name"),
            "honorificPrefix": Column("honorific_prefix"),
            "honorificSuffix": Column("honorific_suffix"),
        }
    ),
    f"{USER}displayName": Column("display_name"),
    f"{USER}nickName": Column("nick_name"),
    f"{USER}title": Column("title"),
    f"{USER}userType": Column("employment_type"),
    f"{USER}preferredLanguage": Column("preferred_language"),
    f"{USER}locale": Column("locale"),
    f"{USER}timezone": Column("timezone"),
    f"{USER}active": Column("active", Kind.BOOLEAN),
    f"{USER}emails": Related(PersonEmail, "person", sub_attributes=_CONTACT_POINT),
    f"{USER}phoneNumbers": Related(PersonPhone, "person", sub_attributes=_CONTACT_POINT),
    f"{USER}groups": Related(
        Membership,
        "person",
        sub_attributes={
            "value": Column("group_id", Kind.UUID),
            "display": Column("group__display_name"),
        },
    ),
    f"{USER}meta": _META,
    f"{ENTERPRISE_USER}employeeNumber": Column("employee_number"),
    f"{ENTERPRISE_USER}costCenter": Column("cost_center"),
    f"{ENTERPRISE_USER}organization": Column("organization"),
    f"{ENTERPRISE_USER}division": Column("division"),
    f"{ENTERPRISE_USER}department": Column("department"),
    f"{ENTERPRISE_USER}manager": Related(
        Person,
        "pk",
        outer="manager_id",
        sub_attributes={
            "value": Column("id", Kind.UUID),
            "displayName": Column("display_name"),
        },
        path="manager",
    ),
}

GROUP_ATTRIBUTES: Mapping[str, Attribute] = {
    f"{GROUP}id": Column("id", Kind.UUID),
    f"{GROUP}externalId": Column("external_id"),
    f"{GROUP}displayName": Column("display_name"),
    f"{GROUP}members": Related(
        Membership,
        "group",
        sub_attributes={
            "value": Column("person_id", Kind.UUID),
            "display": Column("person__display_name"),
        },
    ),
    f"{GROUP}meta": _META,
}
