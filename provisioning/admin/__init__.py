"""The identity admin. Importing this package registers its pages: people and groups, the
catalogue, roles and templates with onboarding, grants and their paper trail, SCIM
clients, the identity reports on the audit trail, access reviews, and the connectors
(beside their models, in provisioning/connectors/admin.py). The modules build on
provisioning.admin.base and compliance.admin.base, never on this package, so none imports
another back."""

from provisioning.admin import (  # noqa: F401
    access,
    catalogue,
    grants,
    hires,
    people,
    reports,
    reviews,
    scim,
)
from provisioning.connectors import admin as connectors_admin  # noqa: F401
