"""A person whose processing is restricted (GDPR Art. 18) is not changed over SCIM: the
identity provider gets a SCIM error saying why, and nothing is written. Leaving still
works: ending their access processes less, not more."""

import pytest

from compliance.audit.models import AuditEvent
from provisioning.errors import InvalidValueError
from provisioning.models import Person
from provisioning.services import privacy
from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import USER_SCHEMA, assert_scim_error, join, patch_ops

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(actor):
    return privacy.person_restrict(person=PersonFactory(title="Engineer"), actor=actor)


def test_a_patch_about_a_restricted_person_is_refused_with_a_scim_error(scim, restricted):
    response = scim.patch(
        f"Users/{restricted.pk}", patch_ops({"op": "replace", "path": "title", "value": "CTO"})
    )

    body = assert_scim_error(response, 400, "mutability")
    assert "restricted at their request (GDPR Art. 18)" in body["detail"]
    restricted.refresh_from_db()
    assert (restricted.title, restricted.version) == ("Engineer", 1)
    assert not AuditEvent.objects.filter(action="person.updated").exists()


def test_a_put_about_a_restricted_person_is_refused(scim, restricted):
    response = scim.put(
        f"Users/{restricted.pk}",
        {
            "schemas": [USER_SCHEMA],
            "id": str(restricted.pk),
            "userName": restricted.user_name,
            "emails": [{"primary": True, "value": "new@example.org", "type": "work"}],
            "active": True,
        },
    )

    assert_scim_error(response, 400, "mutability")
    assert not restricted.emails.exists()


def test_a_restricted_person_still_leaves_over_scim(scim, restricted):
    response = scim.patch(
        f"Users/{restricted.pk}", patch_ops({"op": "replace", "value": {"active": False}})
    )

    assert response.status_code == 200, response.content
    assert not Person.objects.get(pk=restricted.pk).active


def test_a_restricted_leaver_does_not_come_back_over_scim(scim, actor, restricted):
    scim.patch(f"Users/{restricted.pk}", patch_ops({"op": "replace", "value": {"active": False}}))

    response = scim.patch(
        f"Users/{restricted.pk}", patch_ops({"op": "replace", "value": {"active": True}})
    )

    assert_scim_error(response, 400, "mutability")
    assert not Person.objects.get(pk=restricted.pk).active


def test_once_lifted_the_person_is_changed_over_scim_again(scim, actor, restricted):
    privacy.person_restriction_lift(person=restricted, actor=actor, reason="accuracy confirmed")

    response = scim.patch(
        f"Users/{restricted.pk}", patch_ops({"op": "replace", "path": "title", "value": "CTO"})
    )

    assert response.status_code == 200, response.content
    assert Person.objects.get(pk=restricted.pk).title == "CTO"


def test_adding_a_restricted_person_to_a_group_over_scim_is_refused(scim, restricted):
    group = GroupFactory()

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops({"op": "add", "path": "members", "value": [{"value": str(restricted.pk)}]}),
    )

    assert_scim_error(response, 400, "mutability")
    assert not group.memberships.exists()


def test_a_restricted_person_still_leaves_a_group_over_scim(scim, restricted):
    group = GroupFactory()
    join(group, restricted)

    response = scim.patch(
        f"Groups/{group.pk}",
        patch_ops({"op": "remove", "path": f'members[value eq "{restricted.pk}"]'}),
    )

    assert response.status_code == 204, response.content
    assert not group.memberships.exists()


def test_restricting_twice_is_refused(actor, restricted):
    with pytest.raises(InvalidValueError, match="already restricted"):
        privacy.person_restrict(person=restricted, actor=actor)
    assert Person.objects.get(pk=restricted.pk).restricted_at == restricted.restricted_at
