from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        # checks registers the inventory check.
        from compliance import checks, inventory  # noqa: F401
        from compliance.declarations import DECLARATIONS
        from compliance.dsar import audit_names, stores

        inventory.register(DECLARATIONS)  # the fields of its own models
        stores.register()  # what this app holds, for the export and erasure engines
        audit_names.register()  # requests and packages, named where the trail has their ids
