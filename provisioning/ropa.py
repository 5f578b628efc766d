"""What the identity domain adds to the records of processing (compliance.ropa): each
SCIM client's deprovisioning policy, in words, registered in ProvisioningConfig.ready()."""

from compliance.ropa import DeprovisioningPolicy
from provisioning.models import Deprovisioning, ScimClient

KEPT = Deprovisioning.KEEP.label


def deprovisioning_policies() -> list[DeprovisioningPolicy]:
    """One line per SCIM client, enabled or not (a disabled one may be enabled again)."""
    return [_described(client) for client in ScimClient.objects.order_by("name")]


def _described(client: ScimClient) -> DeprovisioningPolicy:
    policy = client.deprovisioning_policy
    erased = "erased at once (as a deletion request: receipt, erasure ledger, audit key destroyed)"
    return DeprovisioningPolicy(
        source=f"SCIM client {client.name}",
        on_delete=erased if policy.erases_on_delete else KEPT,
        on_deactivation=erased if policy.erases_on_deactivation else KEPT,
        chosen_by="the client's own policy" if client.deprovisioning else "the portal's default",
    )
