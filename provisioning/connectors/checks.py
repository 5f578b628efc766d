"""`manage.py check` fails when an application's allow-list names an attribute the
personal-data inventory does not declare for provisioned applications."""

from typing import Any

from django.core import checks

from compliance import inventory
from provisioning.connectors.attributes import VALUES


@checks.register()
def provisioned_attributes_declared(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    declared = inventory.by_scim_attribute()
    problems: list[checks.CheckMessage] = []
    for application, listed in sorted(inventory.PROVISIONED_APPLICATIONS.items()):
        for attribute in sorted(listed):
            entry = declared.get(attribute)
            if entry is None or inventory.PROVISIONED_RECIPIENT not in entry.recipients:
                problem = "is not declared with provisioned applications as recipients"
            elif attribute not in VALUES:
                problem = "is not an attribute the connectors can send"
            else:
                continue
            problems.append(
                checks.Error(
                    f"{attribute} on the allow-list of {application!r} {problem}.",
                    hint="Fix PROVISIONED_APPLICATIONS in compliance/inventory.py or the "
                    "PersonalField in provisioning/inventory.py.",
                    id="provisioning.E101",
                )
            )
    return problems
