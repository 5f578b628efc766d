"""null, and "" where the attribute is not required, clear an attribute (RFC 7643 §2.5:
null is unassigned), in PATCH with or without a path, through a value filter, and in
PUT: the response and the next GET no longer show it. Microsoft's gallery validation
sets optional attributes to "" and then to null."""

from typing import Any

import pytest

from provisioning.models import Group, PersonPhone
from tests.factories import GroupFactory, PersonEmailFactory, PersonFactory
from tests.provisioning.scim.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    USER_SCHEMA,
    assert_scim_error,
    patch_ops,
)

pytestmark = pytest.mark.django_db

EMPTY = [None, ""]


@pytest.fixture
def person() -> Any:
    manager = PersonFactory(user_name="boss@example.org")
    person: Any = PersonFactory(
        title="Engineer", department="Sales", employment_type="Employee", manager=manager
    )
    PersonEmailFactory(person=person, value="ada@example.org", type="work")
    PersonPhone.objects.create(person=person, value="+44 1", type="work")
    PersonPhone.objects.create(person=person, value="+44 2", type="mobile")
    return person


def shown(scim: Any, person: Any, response: Any) -> list[dict[str, Any]]:
    """The response and the next GET, after checking that the write succeeded."""
    assert response.status_code == 200, response.content
    return [response.json(), scim.get(f"Users/{person.pk}").json()]


@pytest.mark.parametrize("empty", EMPTY)
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda v: {"op": "replace", "path": "title", "value": v}, id="path"),
        pytest.param(lambda v: {"op": "replace", "value": {"title": v}}, id="no-path"),
        pytest.param(lambda v: {"op": "Replace", "path": "title", "value": v}, id="entra-case"),
    ],
)
def test_patch_clears_a_simple_attribute(scim, person, operation, empty):
    response = scim.patch(f"Users/{person.pk}", patch_ops(operation(empty)))

    for body in shown(scim, person, response):
        assert "title" not in body
    person.refresh_from_db()
    assert person.title == ""


def test_patch_add_of_an_empty_string_clears(scim, person):
    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "add", "path": "title", "value": ""})
    )

    for body in shown(scim, person, response):
        assert "title" not in body


@pytest.mark.parametrize("empty", EMPTY)
def test_patch_clears_through_a_value_filter(scim, person, empty):
    operation = {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": empty}

    response = scim.patch(f"Users/{person.pk}", patch_ops(operation))

    for body in shown(scim, person, response):
        assert body["phoneNumbers"] == [{"value": "+44 2", "type": "mobile", "primary": False}]
    assert list(person.phone_numbers.values_list("type", flat=True)) == ["mobile"]


@pytest.mark.parametrize("empty", EMPTY)
def test_patch_clears_an_email_through_a_value_filter(scim, person, empty):
    operation = {"op": "replace", "path": 'emails[type eq "work"].value', "value": empty}

    response = scim.patch(f"Users/{person.pk}", patch_ops(operation))

    for body in shown(scim, person, response):
        assert "emails" not in body
    assert not person.emails.exists()


@pytest.mark.parametrize("empty", EMPTY)
@pytest.mark.parametrize("with_path", [True, False])
def test_patch_clears_enterprise_attributes_and_the_manager(scim, person, empty, with_path):
    if with_path:
        operations = [
            {"op": "replace", "path": f"{ENTERPRISE}:department", "value": empty},
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": empty},
        ]
    else:
        value = {f"{ENTERPRISE}:department": empty, f"{ENTERPRISE}:manager": empty}
        operations = [{"op": "replace", "value": value}]

    response = scim.patch(f"Users/{person.pk}", patch_ops(*operations))

    for body in shown(scim, person, response):
        assert ENTERPRISE not in body
    person.refresh_from_db()
    assert (person.department, person.manager) == ("", None)


@pytest.mark.parametrize("empty", EMPTY)
def test_put_clears_what_it_sets_to_nothing(scim, person, empty):
    body = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": person.user_name,
        "title": empty,
        "userType": empty,
        "emails": [{"value": "ada@example.org", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": empty, "type": "work"}],
        ENTERPRISE: {"department": empty, "manager": empty},
    }

    response = scim.put(f"Users/{person.pk}", body)

    for shown_body in shown(scim, person, response):
        assert not {"title", "userType", "phoneNumbers", ENTERPRISE} & set(shown_body)
        assert shown_body["emails"][0]["value"] == "ada@example.org"


@pytest.mark.parametrize("empty", EMPTY)
def test_a_required_attribute_cannot_be_cleared(scim, person, empty):
    for operation in (
        {"op": "replace", "path": "userName", "value": empty},
        {"op": "replace", "value": {"userName": empty}},
        {"op": "replace", "path": "active", "value": empty},
        {"op": "remove", "path": "active"},
    ):
        response = scim.patch(f"Users/{person.pk}", patch_ops(operation))

        assert_scim_error(response, 400, "mutability")
    person.refresh_from_db()
    assert (person.user_name, person.active, person.title) != ("", False, "")


@pytest.mark.parametrize("empty", EMPTY)
@pytest.mark.parametrize("with_path", [True, False])
def test_group_patch_clears_the_external_id(scim, empty, with_path):
    group = GroupFactory(external_id="ext-1")
    operation = (
        {"op": "replace", "path": "externalId", "value": empty}
        if with_path
        else {"op": "replace", "value": {"externalId": empty}}
    )

    response = scim.patch(f"Groups/{group.pk}?attributes=externalId", patch_ops(operation))

    assert response.status_code == 200, response.content
    assert "externalId" not in response.json()
    assert "externalId" not in scim.get(f"Groups/{group.pk}").json()
    assert Group.objects.get(pk=group.pk).external_id == ""


@pytest.mark.parametrize("empty", EMPTY)
def test_group_put_clears_the_external_id_but_never_the_name(scim, empty):
    group = GroupFactory(external_id="ext-1")
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Sales", "externalId": empty}

    response = scim.put(f"Groups/{group.pk}", body)

    assert response.status_code == 200, response.content
    assert "externalId" not in scim.get(f"Groups/{group.pk}").json()
    assert_scim_error(scim.put(f"Groups/{group.pk}", {**body, "displayName": empty}), 400)
    assert Group.objects.get(pk=group.pk).display_name == "Sales"


def test_adding_an_empty_string_to_a_list_clears_nothing(scim, person):
    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "add", "path": "emails", "value": ""})
    )

    assert_scim_error(response, 400, "invalidValue")
    assert person.emails.exists()
