"""Every service that writes records an audit event.

The public functions of provisioning/services/*.py and compliance/**/services.py are found
by import, not listed by hand: a new service fails here until it has a scenario below (and
then fails if its scenario records no event), or is declared as one that writes nothing.
"""

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import compliance
import provisioning.services
from compliance.audit.models import AuditEvent
from compliance.audit.services import (
    Entry,
    audit_export,
    event_record,
    events_record,
    report_export_record,
)
from compliance.audit.vocabulary import Action
from provisioning.models import Application, Entitlement
from provisioning.services import catalogue, groups, persons
from tests.factories import ApplicationFactory, EntitlementFactory, GroupFactory, PersonFactory


def service_modules() -> list[str]:
    names = [
        f"provisioning.services.{module.name}"
        for module in pkgutil.iter_modules(provisioning.services.__path__)
    ]
    names += [
        module.name
        for module in pkgutil.walk_packages(compliance.__path__, "compliance.")
        if module.name.endswith(".services") and "migrations" not in module.name
    ]
    return sorted(names)


def public_functions() -> set[str]:
    found = set()
    for name in service_modules():
        module = importlib.import_module(name)
        for function_name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == name and not function_name.startswith("_"):
                found.add(f"{name}.{function_name}")
    return found


# Public functions in service modules that read or check and write nothing.
WRITES_NOTHING = {
    "provisioning.services.persons.check_unique": "raises if userName or externalId is taken",
    "provisioning.services.groups.check_unique": "raises if displayName or externalId is taken",
}

Scenario = Callable[[Any], object]

SCENARIOS: dict[str, Scenario] = {
    # provisioning.services.catalogue
    "provisioning.services.catalogue.application_save": lambda actor: catalogue.application_save(
        actor=actor, application=Application(name="Payroll")
    ),
    "provisioning.services.catalogue.application_delete": lambda actor: (
        catalogue.application_delete(actor=actor, application=ApplicationFactory())
    ),
    "provisioning.services.catalogue.entitlement_save": lambda actor: catalogue.entitlement_save(
        actor=actor, entitlement=Entitlement(application_id=ApplicationFactory().pk, name="Admin")
    ),
    "provisioning.services.catalogue.entitlement_delete": lambda actor: (
        catalogue.entitlement_delete(actor=actor, entitlement=EntitlementFactory())
    ),
    # provisioning.services.groups
    "provisioning.services.groups.group_create": lambda actor: groups.group_create(
        actor=actor, display_name="eng"
    ),
    "provisioning.services.groups.group_update": lambda actor: groups.group_update(
        group=GroupFactory(), actor=actor, display_name="renamed", external_id=""
    ),
    "provisioning.services.groups.group_delete": lambda actor: groups.group_delete(
        group=GroupFactory(), actor=actor
    ),
    "provisioning.services.groups.group_members_add": lambda actor: groups.group_members_add(
        group=GroupFactory(), person_ids=[PersonFactory().pk], actor=actor
    ),
    "provisioning.services.groups.group_members_remove": lambda actor: _member_removed(actor),
    "provisioning.services.groups.group_members_replace": lambda actor: (
        groups.group_members_replace(
            group=GroupFactory(), person_ids=[PersonFactory().pk], actor=actor
        )
    ),
    # provisioning.services.persons
    "provisioning.services.persons.person_create": lambda actor: persons.person_create(
        actor=actor, fields={"user_name": "ada"}
    ),
    "provisioning.services.persons.person_update": lambda actor: persons.person_update(
        person=PersonFactory(title="Engineer"), actor=actor, fields={"title": "Lead"}
    ),
    "provisioning.services.persons.person_set_active": lambda actor: persons.person_set_active(
        person=PersonFactory(), actor=actor, active=False
    ),
    "provisioning.services.persons.person_scim_create": lambda actor: persons.person_scim_create(
        actor=actor, fields={"user_name": "grace"}
    ),
    # compliance.audit.services
    "compliance.audit.services.event_record": lambda actor: event_record(
        actor=actor, action=Action.GROUP_CREATED, target=("provisioning.group", "1")
    ),
    "compliance.audit.services.events_record": lambda actor: events_record(
        actor=actor, entries=[Entry(Action.GROUP_CREATED, ("provisioning.group", "1"))]
    ),
    "compliance.audit.services.audit_export": lambda actor: audit_export(
        actor=actor, events=AuditEvent.objects.all(), format_name="csv", filters={}
    ),
    "compliance.audit.services.report_export_record": lambda actor: report_export_record(
        actor=actor, report="access", format_name="csv", filters={}, rows=0
    ),
}


def _member_removed(actor: Any) -> int:
    group, person = GroupFactory(), PersonFactory()
    group.memberships.create(person=person)
    return groups.group_members_remove(group=group, person_ids=[person.pk], actor=actor)


def test_every_public_service_function_has_a_scenario_or_writes_nothing():
    found = public_functions()
    declared = set(SCENARIOS) | set(WRITES_NOTHING)

    assert not found - declared, (
        "services with no scenario in this test (add one that calls it and records an "
        f"event): {sorted(found - declared)}"
    )
    assert not declared - found, (
        f"scenarios for services that no longer exist: {sorted(declared - found)}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_the_service_records_an_event(service, actor):
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0

    SCENARIOS[service](actor)

    assert AuditEvent.objects.filter(sequence__gt=last).exists(), f"{service} recorded no event"
