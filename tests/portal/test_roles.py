"""Staff roles follow least privilege, through the admin pages themselves."""

import pytest
from django.contrib.auth.models import Group as StaffRole
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from portal import roles

pytestmark = pytest.mark.django_db


def test_every_role_exists_after_migrate():
    assert set(StaffRole.objects.values_list("name", flat=True)) >= set(roles.ROLES)


def test_the_roles_come_back_with_their_permissions_after_a_flush():
    """A flush (a transactional test's teardown) empties auth_group, then emits
    post_migrate as this does; the roles must not depend on their data migration alone."""
    StaffRole.objects.all().delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    restored = StaffRole.objects.filter(name__in=roles.ROLES)
    assert set(restored.values_list("name", flat=True)) == set(roles.ROLES)
    assert all(role.permissions.exists() for role in restored)


def test_auditor_can_only_view_and_export_the_trail():
    codenames = StaffRole.objects.get(name=roles.AUDITOR).permissions.values_list(
        "codename", flat=True
    )
    assert codenames
    assert {c for c in codenames if not c.startswith("view_")} == {"export_auditevent"}


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        (roles.HR, "admin:provisioning_person_add", 200),
        (roles.HR, "admin:provisioning_application_add", 403),
        (roles.IT, "admin:provisioning_application_add", 200),
        (roles.IT, "admin:provisioning_person_add", 403),
        (roles.AUDITOR, "admin:provisioning_person_changelist", 200),
        (roles.AUDITOR, "admin:provisioning_person_add", 403),
        (roles.APPROVER, "admin:provisioning_group_changelist", 403),
        (roles.PRIVACY_OFFICER, "admin:provisioning_application_add", 403),
    ],
)
def test_admin_pages_open_only_for_the_roles_that_need_them(staff_client_for, role, url, status):
    client, _ = staff_client_for(role)
    assert client.get(reverse(url)).status_code == status
