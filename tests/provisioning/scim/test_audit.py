"""Every SCIM write is recorded with the client as actor and scim as channel."""

import pytest

from compliance.audit.models import AuditEvent
from tests.provisioning.scim.conftest import GROUP_SCHEMA, USER_SCHEMA, patch_ops

pytestmark = pytest.mark.django_db


def test_every_write_of_a_scim_session_is_attributed_to_the_client(scim):
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    user = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "a@example.org"}).json()
    group = scim.post(
        "Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": user["id"]}]},
    ).json()
    scim.patch(f"Groups/{group['id']}", patch_ops({"op": "remove", "path": "members"}))
    scim.patch(
        f"Users/{user['id']}", patch_ops({"op": "replace", "path": "active", "value": False})
    )
    scim.delete(f"Users/{user['id']}")
    scim.delete(f"Groups/{group['id']}")

    events = AuditEvent.objects.exclude(pk__in=before)
    assert set(events.values_list("action", flat=True)) == {
        "person.created",
        "group.created",
        "group.members_added",
        "group.members_removed",
        "person.deactivated",
        "person.deprovisioned",  # the client's deprovisioning policy, applied
        "person.deleted",
        "group.deleted",
    }
    assert set(events.values_list("actor_kind", "actor_id", "channel")) == {
        ("scim-client", str(scim.client.pk), "scim")
    }
