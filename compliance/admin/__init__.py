"""The compliance admin: the audit trail, the inventory and the records of processing
here, the data-subject requests and incidents beside their models
(compliance/dsar/admin.py, compliance/incidents/admin.py). Importing this package
registers all of them; the shared machinery is in compliance.admin.base, which imports
none of them."""

from compliance.admin import audit, inventory, ropa  # noqa: F401
from compliance.dsar import admin as dsar_admin  # noqa: F401
from compliance.incidents import admin as incidents_admin  # noqa: F401
