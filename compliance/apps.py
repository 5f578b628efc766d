from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        # Registers the inventory check.
        from compliance import checks  # noqa: F401
        from compliance.dsar import stores

        stores.register()  # what this app holds, for the export and erasure engines
