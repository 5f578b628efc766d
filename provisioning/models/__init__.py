"""The identity domain's models: identities (people, groups, the application catalogue) and
access governance (roles, templates, grants, requests, approvals). Import from here."""

from provisioning.models.access import (
    AccessGrant,
    AccessRequest,
    Approval,
    Role,
    RoleTemplate,
    ScheduledOffboarding,
    SodRule,
)
from provisioning.models.identity import (
    Application,
    ContactPoint,
    Entitlement,
    Group,
    Membership,
    Person,
    PersonEmail,
    PersonPhone,
    SentEmail,
)
from provisioning.models.scim import ScimClient, ScimToken

__all__ = [
    "AccessGrant",
    "AccessRequest",
    "Application",
    "Approval",
    "ContactPoint",
    "Entitlement",
    "Group",
    "Membership",
    "Person",
    "PersonEmail",
    "PersonPhone",
    "Role",
    "RoleTemplate",
    "ScheduledOffboarding",
    "ScimClient",
    "ScimToken",
    "SentEmail",
    "SodRule",
]
