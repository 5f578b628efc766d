"""Every module that writes through the ORM is a service module, or a declared write path.

The writers are found by reading the source and the registered admins (tests.writers), not
by module name. A new write outside a `services` module fails here until it moves into one
or is declared below with its reason; test_every_service_records_an_event then holds every
public service function to recording its audit event.
"""

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import models as auth
from django.http import HttpRequest

from compliance.admin.base import ViewOnlyAdminMixin
from provisioning.models import Group, Membership
from tests import writers as finder
from tests.writers import admin_writes, is_service, writers, writes_in

# Modules that write outside a `services` module, each for a reason. A declared module that
# stops writing fails test_no_declaration_outlives_its_write.
WRITE_PATHS = {
    "compliance.audit.crypto": (
        "the audit trail's own subject keys: made with a subject's first event and destroyed "
        "by erasure, inside the transaction of the service recording or erasing"
    ),
    "compliance.dsar.agents": (
        "the retention rule of agents' signed permissions: run by retention_apply, which "
        "records retention.applied for what it removed"
    ),
    "compliance.dsar.notices": (
        "a notice's record, written inside the calling service's transaction (acknowledge, "
        "extend, deny, close, challenge_send) with its own dsar.notice_sent event"
    ),
    "compliance.dsar.erasure": (
        "the erasure engine: each eraser runs in a transaction of its own with its step "
        "record and its dsar.erased event, so a killed run resumes after the last step done"
    ),
    "compliance.dsar.export": (
        "the export engine stores the package it builds; run by request_requeue's task, it "
        "records dsar.exported"
    ),
    "compliance.dsar.ledger": (
        "the erasure ledger (key store), written by the erasure engine and reapply_erasures"
    ),
    "compliance.dsar.ledger_file": (
        "the published erasure ledger's head in the key store, written with each line the "
        "erasure or a block's lift appends, inside their transactions and events"
    ),
    "compliance.dsar.package": (
        "re-seals packages made before they were sealed for their subject, a chunk at a "
        "time, each with its dsar.packages_resealed event; run by the key rotation job"
    ),
    "compliance.dsar.progress": (
        "the progress bar of a running export or erasure: bookkeeping written outside the "
        "engine's transaction so the request's page sees it move; the step records its event"
    ),
    "compliance.dsar.stores": (
        "compliance's own eraser and collector, registered with the DSAR engines and run "
        "inside the erasure's transaction, which records dsar.erased with a receipt"
    ),
    "compliance.incidents.rules": (
        "the alert rules' watermark (how far the audit trail has been read); the incidents "
        "they find are raised through finding_raise"
    ),
    "compliance.outbox.claim": "the outbox: a running task's lease on its message, renewed",
    "compliance.outbox.consumer": "the outbox: marks a message done when its task has run",
    "compliance.outbox.queue": "the outbox: appends messages inside the caller's transaction",
    "compliance.outbox.relay": "the outbox relay: marks rows handed to the broker, prunes them",
    "compliance.retention": (
        "the retention job (beat): deletes what outlived its period, store by store, and "
        "records retention.applied for each store it changed"
    ),
    "portal.demo_history": (
        "the demo's replayed history follows an approval's e-mail link as its approver "
        "would: it gives the approval a fresh link (the e-mail waits sealed in the outbox); "
        "the decision itself goes through the service"
    ),
    "portal.management.commands.seed_demo": (
        "demo data for a fresh database: staff accounts, their roles and second factors, "
        "which Django's auth and django-otp own (the domain's data goes through services)"
    ),
    "portal.retention": (
        "the staff accounts' retention rule, run by compliance's retention job, which "
        "records retention.applied for each store a rule changed"
    ),
    "portal.roles": (
        "applies the staff roles' declared permissions after every migrate, as Django's own "
        "create_permissions does: set-up, not a use case"
    ),
    "provisioning.connectors.downstream": (
        "remembers the downstream id of a group a push found or made, so the next push "
        "skips the search; recorded by the push's own event"
    ),
    "provisioning.connectors.reconcile": (
        "the push engine's repair: rewrites what it knows was pushed between SCIM calls, "
        "outside one transaction, and records push.reconciled with its report"
    ),
    "provisioning.connectors.sync": (
        "the push engine: saves what it pushed after each SCIM call, outside any transaction "
        "so an interrupted push resumes where it stopped (a service runs in one transaction); "
        "records push.succeeded, push.failed, push.dead_lettered and push.retried"
    ),
    "provisioning.dsar": (
        "the identity domain's erasers, registered with the DSAR engine and run inside the "
        "erasure's transaction, which records dsar.erased with a receipt"
    ),
    "provisioning.dsar_access": (
        "access governance's erasers, registered with the DSAR engine and run inside the "
        "erasure's transaction, which records dsar.erased with a receipt"
    ),
    "provisioning.dsar_reviews": (
        "access reviews' eraser, registered with the DSAR engine and run inside the "
        "erasure's transaction, which records dsar.erased with a receipt"
    ),
    "provisioning.emails": (
        "the stored, redacted copy of each e-mail, written by the service that sends it, in "
        "its transaction"
    ),
    "provisioning.retention": (
        "the identity domain's retention rules, run by compliance's retention job, which "
        "records retention.applied for each store a rule changed"
    ),
}

# --- the rule ----------------------------------------------------------------------------


def test_every_module_that_writes_is_a_service_or_a_declared_write_path():
    undeclared = {
        name: writes
        for name, writes in writers().items()
        if not is_service(name) and name not in WRITE_PATHS
    }

    assert not undeclared, (
        "ORM writes outside a service module: move them into a service that records its "
        f"event, or declare the module in WRITE_PATHS with the reason: {undeclared}"
    )


def test_no_declaration_outlives_its_write():
    writing = set(writers())
    declared = set(WRITE_PATHS)

    assert not declared - writing, (
        f"declared write paths that no longer write: {sorted(declared - writing)}"
    )


def test_a_service_module_needs_no_declaration():
    assert not [name for name in WRITE_PATHS if is_service(name)]


# --- the finder, on sources made for it --------------------------------------------------

ORM_IMPORT = "from provisioning.models import Person, Group\n"


@pytest.mark.parametrize(
    "statement",
    [
        "Person.objects.filter(pk=1).update(active=False)",
        "Person.objects.select_for_update().filter(pk=1).delete()",
        "Person.objects.create(user_name='ada')",
        "Person.objects.bulk_create(people)",
        "Person.objects.bulk_update(people, ['active'])",
        "Person.objects.get_or_create(user_name='ada')",
        "Person.objects.update_or_create(user_name='ada', defaults={})",
        "person.save()",
        "person.save(update_fields=['active'])",
        "person.delete()",
        "people.update(active=False)",
        "group.memberships.create(person=person)",
        "group.members.add(person)",
        "group.members.set([person])",
        "group.members.remove(person)",
        "group.members.clear()",
        "form.save()",
        "form.save_m2m()",
        "StaffUser.objects.create_user('ada', password=secret)",
        "await person.asave()",
        "await Person.objects.abulk_create(people)",
    ],
)
def test_the_finder_sees_a_write(statement):
    source = f"{ORM_IMPORT}async def change(person, people, group, form):\n    {statement}\n"

    assert [write.call for write in writes_in(source)] == [statement.removeprefix("await ")]


@pytest.mark.parametrize(
    "statement",
    [
        "cache.set(key, 1, timeout=5)",
        "cache.add(key, 0)",
        "cache.delete(key)",
        "seen.add(key)",
        "self._seen.add(key)",
        "data.update(other)",
        "kwargs.update(queryset=people)",
        "fields.update(active=False)",
        "hashed.update(b'secret')",
        "formset.save(commit=False)",
        "super().save(*args, **kwargs)",
        "scim.create(resource)",
        "scim.delete(UserResource, user_id)",
        "cursor.execute('SELECT 1')",
        "workbook.save(path)",
    ],
)
def test_the_finder_ignores_what_is_not_a_write(statement):
    source = (
        f"{ORM_IMPORT}def change(cache, seen, data, hashed, formset, cursor, workbook, "
        f"**kwargs):\n    fields = {{}}\n    {statement}\n"
    )

    assert writes_in(source) == []


def test_the_finder_sees_raw_sql_that_changes_rows():
    source = (
        "from django.db import connection\n"
        "SQL = 'UPDATE provisioning_person SET active = false WHERE id = %s'\n"
        "def deactivate(pk):\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute(SQL, [pk])\n"
    )

    assert [write.line for write in writes_in(source)] == [5]


@pytest.mark.parametrize(
    "statement",
    [
        "selectors.open_for(person).filter().delete()",
        "request.user.save(update_fields=['last_login'])",
        "person.groups.add(group)",
    ],
)
def test_the_finder_sees_a_write_even_without_a_model_import(statement):
    source = f"def close(selectors, request, person, group):\n    {statement}\n"

    assert len(writes_in(source)) == 1


def test_a_new_write_outside_a_service_fails_the_rule(tmp_path, monkeypatch):
    """A deliberate violation: a module beside the services that deactivates people with
    .update() is reported, and the same write in a services module is not."""
    for module in ("provisioning/offboarding_shortcut.py", "provisioning/services/shortcut.py"):
        path = tmp_path / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{ORM_IMPORT}def leave(person):\n    person.save()\n")
    monkeypatch.setattr(finder, "ROOT", tmp_path)

    with pytest.raises(AssertionError, match=r"provisioning\.offboarding_shortcut") as failure:
        test_every_module_that_writes_is_a_service_or_a_declared_write_path()

    assert "provisioning.services.shortcut" not in str(failure.value)


class _Probe(admin.ModelAdmin[Group]):
    pass


class _ProbeThroughServices(admin.ModelAdmin[Group]):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        pass

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        pass


class _Members(admin.TabularInline[Membership, Group]):
    model = Membership


class _ProbeWithMembers(_ProbeThroughServices):
    inlines = (_Members,)


class _ProbeViewOnly(ViewOnlyAdminMixin, admin.ModelAdmin[Group]):
    pass


@pytest.mark.parametrize(
    ("model_admin", "expected"),
    [
        (_Probe, ["add form", "change form", "deletes"]),
        (_ProbeThroughServices, []),
        (_ProbeWithMembers, ["_Members is saved"]),
        (_ProbeViewOnly, []),
    ],
)
def test_the_finder_sees_what_django_s_admin_writes_for_us(model_admin, expected):
    site = AdminSite(name="probe")
    site.register(Group, model_admin)

    found = admin_writes(site, ours=("tests",)).get(__name__, [])

    assert len(found) == len(expected), found
    assert all(phrase in write for phrase, write in zip(expected, found, strict=True))


def test_the_finder_sees_django_s_own_group_admin():
    """Django's GroupAdmin saves a staff role's permissions with no event: registered on the
    site, it is a write though no module of ours defines it."""
    site = AdminSite(name="probe")
    site.register(auth.Group, auth_admin.GroupAdmin)

    assert "django.contrib.auth.admin" in admin_writes(site)


def test_only_our_admins_and_the_guarded_apps_admins_are_held_to_the_rule():
    """The libraries' own pages on the site (second-factor devices, sign-in lockouts) are
    not ours to route through services; Django's GroupAdmin is replaced by ours."""
    found = admin_writes(admin.site)

    assert {module.split(".")[0] for module in found} <= set(finder.APPS)
