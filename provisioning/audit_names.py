"""How the identity domain's objects are named where the audit trail refers to them by id
(compliance.audit.references): a group, a role or a grant in a person's identity history
reads as its name, or as gone once deleted, never as a UUID."""

from compliance.audit.references import object_reference, register_object_reference
from provisioning.connectors.models import Connector
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Application,
    Campaign,
    CampaignRun,
    Entitlement,
    Group,
    Role,
    RoleTemplate,
    ScimClient,
)


def _held(grant: AccessGrant) -> str:
    return str(grant.held)


def register() -> None:
    for reference in (
        object_reference({"group"}, Group.objects.only("id", "display_name")),
        object_reference({"role", "role_a", "role_b"}, Role.objects.only("id", "name")),
        object_reference({"template"}, RoleTemplate.objects.only("id", "name")),
        object_reference({"application"}, Application.objects.only("id", "name")),
        object_reference({"entitlement"}, Entitlement.objects.select_related("application")),
        object_reference(
            {"grant"},
            AccessGrant.objects.select_related("role", "entitlement__application"),
            _held,
        ),
        object_reference({"request"}, AccessRequest.objects.select_related("role", "person")),
        object_reference({"campaign"}, Campaign.objects.only("id", "name")),
        object_reference({"run"}, CampaignRun.objects.select_related("campaign")),
        object_reference({"connector"}, Connector.objects.select_related("application")),
        object_reference({"client"}, ScimClient.objects.only("id", "name")),
    ):
        register_object_reference(reference)
