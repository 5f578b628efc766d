"""`manage.py check` fails when a model field is missing from the personal-data inventory."""

from typing import Any

from django.apps import apps
from django.core import checks

from compliance import inventory


@checks.register()
def undeclared_personal_fields(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every field of every model of each app that registered declarations."""
    registry = inventory.INVENTORY
    declared = {entry.key for entry in registry}
    problems: list[checks.CheckMessage] = []
    for app_label in registry.apps:
        for model in apps.get_app_config(app_label).get_models():
            label = model._meta.label
            if registry.holds_no_personal_data(label) or model._meta.proxy:
                continue  # a proxy's fields are its concrete model's, declared there
            technical = registry.technical(label)
            for model_field in model._meta.get_fields(include_hidden=False):
                if model_field.auto_created and not model_field.concrete:
                    continue  # reverse relations belong to the model that declares them
                key = f"{label}.{model_field.name}"
                if key not in declared and model_field.name not in technical:
                    problems.append(
                        checks.Error(
                            f"{key} is not in the personal-data inventory.",
                            hint=f"Declare it in the declarations {app_label} registers in "
                            "its AppConfig.ready(): as a PersonalField with its purpose, "
                            "lawful basis and retention, or as Technical.",
                            obj=model,
                            id="compliance.E001",
                        )
                    )
    return problems


@checks.register()
def scim_agreements_declared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Each attribute a SCIM agreement shares must be declared in the inventory, with the
    agreement's recipients among the field's recipients."""
    from compliance.scim_agreements import AGREEMENTS

    declared = inventory.by_scim_attribute()
    problems: list[checks.CheckMessage] = []
    for agreement in AGREEMENTS.values():
        for attribute in sorted(agreement.attributes):
            entry = declared.get(attribute)
            if entry is None or agreement.recipient not in entry.recipients:
                problems.append(
                    checks.Error(
                        f"SCIM agreement {agreement.name!r} shares {attribute}, which the "
                        f"inventory does not declare for {agreement.recipient}.",
                        hint="Declare it in the inventory declarations of the field's app "
                        "(scim_attribute and recipients), or take it out of "
                        "compliance/scim_agreements.py.",
                        id="compliance.E002",
                    )
                )
    return problems


@checks.register()
def recipients_declared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Each recipient the inventory names is declared (inventory.RECIPIENTS), with whether
    the data is sold or shared to it: the export summary and the records of processing
    say so, and cannot for a recipient no one declared."""
    named = sorted({name for entry in inventory.INVENTORY for name in entry.recipients})
    return [
        checks.Error(
            f"The inventory names the recipient {name!r}, which RECIPIENTS does not declare.",
            hint="Add it to compliance.inventory.RECIPIENTS, saying whether personal data "
            "is sold or shared to it (CCPA §1798.140(ad), (ah)).",
            id="compliance.E003",
        )
        for name in named
        if name not in inventory.RECIPIENTS
    ]


@checks.register(checks.Tags.security)
def ropa_controller_declared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In production (DEBUG off) the record of processing must name the real controller
    and DPO: a placeholder there would go to a supervisory authority as is. One message,
    naming every setting still to set."""
    from django.conf import settings

    from compliance.ropa import placeholder_settings

    names = placeholder_settings()
    if settings.DEBUG or not names:
        return []
    return [
        checks.Error(
            f"{', '.join(names)} still hold{'s' if len(names) == 1 else ''} a placeholder; "
            "the record of processing needs the real controller and DPO in production.",
            hint="Set them in the environment: the controller's legal name "
            "(ROPA_CONTROLLER_NAME) and addresses that reach the controller "
            "(ROPA_CONTROLLER_CONTACT) and the data protection officer (ROPA_DPO_CONTACT).",
            id="compliance.E004",
        )
    ]
