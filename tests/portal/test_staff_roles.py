"""Staff roles (Django groups) in the admin: their permissions change through the staff
role services, and the trail names the permissions each change added and removed."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from tests.conftest import verified_client
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    return verified_client(StaffUserFactory(is_superuser=True))


def permission(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_changing_a_role_s_permissions_records_what_was_added_and_removed(superuser_client):
    role = Group.objects.create(name="Night shift")
    role.permissions.set([permission("auth.view_group"), permission("auth.change_group")])

    response = superuser_client.post(
        reverse("admin:auth_group_change", args=[role.pk]),
        {
            "name": "Night shift",
            "permissions": [permission("auth.view_group").pk, permission("auth.add_group").pk],
        },
    )

    assert response.status_code == 302
    held = {p.codename for p in Group.objects.get(pk=role.pk).permissions.all()}
    assert held == {"view_group", "add_group"}
    event = AuditEvent.objects.get(action=Action.STAFF_ROLE_CHANGED)
    assert (event.target_type, event.target_id) == ("auth.group", str(role.pk))
    assert event.data == {
        "role": "Night shift",
        "added": ["auth.add_group"],
        "removed": ["auth.change_group"],
        "changed": ["permissions"],
    }


def test_a_role_added_and_deleted_in_the_admin_is_on_the_trail(superuser_client):
    response = superuser_client.post(
        reverse("admin:auth_group_add"),
        {"name": "Night shift", "permissions": [permission("auth.view_group").pk]},
    )
    assert response.status_code == 302
    role = Group.objects.get(name="Night shift")

    response = superuser_client.post(
        reverse("admin:auth_group_delete", args=[role.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Group.objects.filter(pk=role.pk).exists()
    created, deleted = AuditEvent.objects.filter(
        action__in=[Action.STAFF_ROLE_CREATED, Action.STAFF_ROLE_DELETED]
    ).order_by("sequence")
    assert created.data == {"role": "Night shift", "added": ["auth.view_group"], "removed": []}
    assert deleted.data == {"role": "Night shift", "added": [], "removed": ["auth.view_group"]}
