"""Values as long as directories send them are kept whole; a value longer than the
portal keeps is 400 invalidValue naming the attribute, never cut and never a 500 (the
last was PostgreSQL's answer to a group name over 255 characters)."""

import pytest

from provisioning.models import Group, Person
from tests.factories import GroupFactory
from tests.provisioning.scim.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    USER_SCHEMA,
    assert_scim_error,
    patch_ops,
)

pytestmark = pytest.mark.django_db


def user(**attributes):
    return {"schemas": [USER_SCHEMA], "userName": "ada@example.org", **attributes}


def test_a_user_type_and_a_preferred_language_as_directories_send_them_are_kept(scim):
    user_type, language = "x" * 255, "en-GB,en;q=0.9," + "de;q=0.8," * 20

    response = scim.post("Users", user(userType=user_type, preferredLanguage=language))

    assert response.status_code == 201, response.content
    assert (response.json()["userType"], response.json()["preferredLanguage"]) == (
        user_type,
        language,
    )
    person = Person.objects.get()
    assert (person.employment_type, person.preferred_language) == (user_type, language)


@pytest.mark.parametrize(
    ("attribute", "body"),
    [
        ("userType", user(userType="x" * 256)),
        ("preferredLanguage", user(preferredLanguage="x" * 256)),
        ("externalId", user(externalId="x" * 256)),
        (f"{ENTERPRISE}:employeeNumber", user(**{ENTERPRISE: {"employeeNumber": "1" * 65}})),
    ],
)
def test_a_user_value_too_long_is_refused_naming_the_attribute(scim, attribute, body):
    body["schemas"] = [USER_SCHEMA, ENTERPRISE]

    error = assert_scim_error(scim.post("Users", body), 400, "invalidValue")

    assert error["detail"].startswith(f"{attribute}: at most")
    assert not Person.objects.exists()


def test_a_patch_too_long_is_refused_naming_the_attribute(scim):
    person_id = scim.post("Users", user()).json()["id"]
    operation = {"op": "replace", "path": "userType", "value": "x" * 256}

    error = assert_scim_error(scim.patch(f"Users/{person_id}", patch_ops(operation)), 400)

    assert error["detail"].startswith("userType: at most 255 characters")


def test_a_group_name_as_long_as_entra_allows_is_kept(scim):
    name = "g" * 256

    response = scim.post("Groups", {"schemas": [GROUP_SCHEMA], "displayName": name})

    assert response.status_code == 201, response.content
    assert Group.objects.get().display_name == name


@pytest.mark.parametrize(
    ("attribute", "value"), [("displayName", "g" * 513), ("externalId", "e" * 256)]
)
def test_a_group_value_too_long_is_refused_naming_the_attribute(scim, attribute, value):
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Sales", attribute: value}

    error = assert_scim_error(scim.post("Groups", body), 400, "invalidValue")

    assert error["detail"].startswith(f"{attribute}: at most")
    assert not Group.objects.exists()


@pytest.mark.parametrize(
    ("attribute", "value"), [("displayName", "g" * 513), ("externalId", "e" * 256)]
)
def test_a_group_change_too_long_is_refused_naming_the_attribute(scim, attribute, value):
    group = GroupFactory(display_name="Sales")

    response = scim.patch(
        f"Groups/{group.pk}", patch_ops({"op": "replace", "path": attribute, "value": value})
    )

    error = assert_scim_error(response, 400, "invalidValue")
    assert error["detail"].startswith(f"{attribute}: at most")
    assert Group.objects.get().display_name == "Sales"
