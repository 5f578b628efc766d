from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = "Identities and access"

    def ready(self) -> None:
        from compliance import inventory
        from provisioning.inventory import DECLARATIONS

        # First: what registers below reads the inventory (the person's collectors).
        inventory.register(DECLARATIONS)

        from auditlog.registry import auditlog

        from provisioning import models

        # django-auditlog is the secondary capture of field changes to the catalogue; the
        # audit trail in compliance.audit is the primary, tamper-evident record. Not for
        # people: the trail already records each change's before and after, sealed under
        # the person's key, and auditlog's copy (in the clear) cost every write a read of
        # the old row and an insert, and every erasure a deletion.
        for model in (models.Group, models.Application, models.Entitlement):
            auditlog.register(model)

        from compliance.subjects import register_subject_resolver
        from provisioning import dsar, subjects

        # People are compliance's data subjects: searched for and named in the audit trail,
        # found, locked and identified by the export and erasure engines.
        register_subject_resolver(subjects.RESOLVER)
        dsar.register()  # what this app holds, for the export and erasure engines
        from provisioning import dsar_reviews

        dsar_reviews.register()  # access review items, about the person or by them

        from compliance.audit.references import register_subject_reference

        # Audit details name a manager by subject id, shown by name while the manager exists.
        register_subject_reference("manager")
        from provisioning import audit_names

        audit_names.register()  # groups, roles, grants: named where the trail has their ids

        from compliance.emails import register_email_door
        from provisioning.emails import email_send

        register_email_door(email_send)  # compliance's e-mails (incident notices) go this way

        from compliance.ropa import processors_register
        from provisioning.connectors.selectors import connector_processors

        processors_register(connector_processors)  # connectors are the record's processors

        from provisioning import retention

        retention.register()  # the rules for this app's data, for compliance's retention job

        from compliance.ropa import register_deprovisioning_policies
        from provisioning.ropa import deprovisioning_policies

        # The records of processing state what each SCIM client's deletions do.
        register_deprovisioning_policies(deprovisioning_policies)

        # The check of the Django release the SCIM first pages' compiled reads are proven on;
        # outbound provisioning subscribes to the identity services' signals.
        from provisioning import first_pages  # noqa: F401
        from provisioning.connectors import checks, receivers  # noqa: F401
