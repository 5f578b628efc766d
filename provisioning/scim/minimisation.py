"""Data minimisation on the way in: personal attributes outside the client's agreement
are refused (strict mode) or dropped and recorded (drop mode)."""

from typing import Any

from compliance.audit.actor import Actor
from compliance.scim_agreements import Agreement
from provisioning.models import ScimClient
from provisioning.scim.errors import ScimError
from provisioning.services.scim_clients import scim_attributes_dropped


def _has_value(value: Any) -> bool:
    return value not in (None, "", [], {})


def within_agreement(
    flat: dict[str, Any], *, client: ScimClient, agreement: Agreement, actor: Actor
) -> dict[str, Any]:
    """The attributes of `flat` the client may send; the others raise or are dropped."""
    outside = sorted(
        attribute
        for attribute, value in flat.items()
        if _has_value(value) and not agreement.allows(attribute)
    )
    if not outside:
        return flat
    if client.mode == ScimClient.Mode.STRICT:
        raise ScimError(
            400,
            f"{outside[0]} is personal data outside the attributes agreed for this client "
            f"(profile {agreement.name!r}).",
            "invalidValue",
        )
    scim_attributes_dropped(client=client, actor=actor, attributes=outside, resource_type="User")
    return {attribute: value for attribute, value in flat.items() if attribute not in outside}
