"""An identity provider that deleted a user and POSTs them again gets the same record
back (undeleted, recorded), not a 409 from the record kept for retention."""

import pytest

from compliance.audit.models import AuditEvent
from provisioning.models import Person
from tests.provisioning.scim.conftest import USER_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db


def user(user_name="ada@example.org", external_id="okta-1", **extra):
    body = {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": True,
        **extra,
    }
    if external_id is not None:
        body["externalId"] = external_id
    return body


def deleted(scim, **fields):
    response = scim.post("Users", user(**fields))
    assert response.status_code == 201, response.content
    person_id = response.json()["id"]
    assert scim.delete(f"Users/{person_id}").status_code == 204
    return person_id


def test_posting_a_deleted_user_again_brings_back_the_same_person(scim):
    person_id = deleted(scim)

    response = scim.post("Users", user(name={"givenName": "Ada", "familyName": "King"}))

    assert response.status_code == 201, response.content
    assert response.json()["id"] == person_id
    person = Person.objects.get()
    assert (person.active, person.scim_deleted_at, person.family_name) == (True, None, "King")
    assert scim.get(f"Users/{person_id}").status_code == 200


def test_the_return_is_recorded_in_the_audit_trail(scim):
    person_id = deleted(scim)

    scim.post("Users", user())

    event = AuditEvent.objects.get(action="person.reactivated", data__scim_undeleted=True)
    assert (event.subject_id, event.data["matched_on"]) == (person_id, "externalId")


def test_a_deleted_user_without_external_id_returns_by_user_name(scim):
    person_id = deleted(scim, external_id=None)

    response = scim.post("Users", user(user_name="ADA@example.org", external_id=None))

    assert response.status_code == 201, response.content
    assert response.json()["id"] == person_id


def test_another_external_id_with_a_deleted_user_name_still_conflicts(scim):
    deleted(scim, external_id="okta-1")

    assert_scim_error(scim.post("Users", user(external_id="okta-2")), 409, "uniqueness")
    assert Person.objects.count() == 1


def test_a_visible_user_with_that_user_name_still_conflicts(scim):
    assert scim.post("Users", user()).status_code == 201

    assert_scim_error(scim.post("Users", user()), 409, "uniqueness")
