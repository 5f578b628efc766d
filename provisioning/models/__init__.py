"""The identity domain's models: identities (people, groups, the application catalogue) and
access governance (roles, templates, grants, requests, approvals). Import from here."""

# Outbound provisioning keeps its models beside its code; they load with this app's models.
from provisioning.connectors.models import (
    Connector,
    DownstreamAccount,
    DownstreamOrphan,
    GroupMapping,
)
from provisioning.models.access import (
    AccessGrant,
    AccessRequest,
    Approval,
    Role,
    RoleTemplate,
    ScheduledOffboarding,
    ScheduledOnboarding,
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
from provisioning.models.reviews import Campaign, CampaignRun, ReviewAssignment, ReviewItem
from provisioning.models.scim import Deprovisioning, ScimClient, ScimToken

__all__ = [
    "AccessGrant",
    "AccessRequest",
    "Application",
    "Approval",
    "Campaign",
    "CampaignRun",
    "Connector",
    "ContactPoint",
    "Deprovisioning",
    "DownstreamAccount",
    "DownstreamOrphan",
    "Entitlement",
    "Group",
    "GroupMapping",
    "Membership",
    "Person",
    "PersonEmail",
    "PersonPhone",
    "ReviewAssignment",
    "ReviewItem",
    "Role",
    "RoleTemplate",
    "ScheduledOffboarding",
    "ScheduledOnboarding",
    "ScimClient",
    "ScimToken",
    "SentEmail",
    "SodRule",
]
