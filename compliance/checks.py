"""`manage.py check` fails when a model field is missing from the personal-data inventory."""

from typing import Any

from django.apps import apps
from django.core import checks

from compliance import inventory


@checks.register()
def undeclared_personal_fields(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    declared = {entry.key for entry in inventory.INVENTORY}
    problems: list[checks.CheckMessage] = []
    for app_label in inventory.INVENTORY_APPS:
        for model in apps.get_app_config(app_label).get_models():
            label = model._meta.label
            if label in inventory.NO_PERSONAL_DATA:
                continue
            technical = inventory.TECHNICAL.get(label, frozenset())
            for model_field in model._meta.get_fields(include_hidden=False):
                if model_field.auto_created and not model_field.concrete:
                    continue  # reverse relations belong to the model that declares them
                key = f"{label}.{model_field.name}"
                if key not in declared and model_field.name not in technical:
                    problems.append(
                        checks.Error(
                            f"{key} is not in the personal-data inventory.",
                            hint="Declare it in compliance/inventory.py: as a PersonalField "
                            "with its purpose, lawful basis and retention, or as TECHNICAL.",
                            obj=model,
                            id="compliance.E001",
                        )
                    )
    return problems
