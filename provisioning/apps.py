from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = "Identities and access"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from provisioning import models

        # django-auditlog is the secondary capture of field changes; the audit trail in
        # compliance.audit is the primary, tamper-evident record.
        for model in (models.Person, models.Group, models.Application, models.Entitlement):
            auditlog.register(model)

        from provisioning import dsar

        dsar.register()  # what this app holds, for the export and erasure engines
        # Audit details name a manager by subject id; readers show the name meanwhile.
        from compliance.audit.references import register_subject_reference
        from provisioning.selectors import person_names

        register_subject_reference("manager", person_names)
        # Outbound provisioning subscribes to the identity services' signals.
        # The access-governance panels of the dashboard (portal.dashboard).
        from provisioning import panels  # noqa: F401
        from provisioning.connectors import checks, receivers  # noqa: F401
