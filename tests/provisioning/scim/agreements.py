"""An agreement holding every attribute the portal stores, for the tests of the filters'
translation itself (what a filter means), apart from what a client may ask."""

from compliance.scim_agreements import Agreement
from provisioning.scim.mapping import MANAGER, STRING_FIELDS

EVERY_ATTRIBUTE = Agreement(
    "every attribute",
    "Every attribute the portal stores.",
    frozenset(STRING_FIELDS) | {"active", "emails", "phoneNumbers", MANAGER},
)
