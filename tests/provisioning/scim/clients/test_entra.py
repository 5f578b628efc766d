"""Microsoft's documented Entra ID requests, replayed in the order the tutorial "Develop and
plan provisioning for a SCIM endpoint in Microsoft Entra ID" lists them (User operations,
Group operations, Schema discovery), then the PATCH shapes that "Known issues with SCIM 2.0
protocol compliance" documents with and without the aadOptscim062020 flag. Each test
asserts what the tutorial's expected response shows. The payloads are ours, in the shape
Microsoft documents; attributes outside the `directory` agreement (nickName, addresses)
are the mappings docs/identity-providers.md tells the admin to delete, so Entra does not
send them."""

from typing import Any

import pytest

from provisioning.models import Group, Person
from tests.provisioning.scim.clients.conftest import (
    ADSCIM_GROUP,
    ERROR,
    LIST_RESPONSE,
    body_of,
    guid,
    scim_content_type,
)
from tests.provisioning.scim.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    PATCH_SCHEMA,
    USER_SCHEMA,
    ScimBrowser,
)

pytestmark = pytest.mark.django_db

USER_NAME = "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@testuser.com"
WORK_EMAIL = "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"


def create_user_request(user_name: str = USER_NAME, email: str = WORK_EMAIL) -> dict[str, Any]:
    """Create User, as the tutorial documents it (roles: [] included)."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": guid(),
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        "roles": [],
    }


def create_user(entra: ScimBrowser, **kwargs: Any) -> dict[str, Any]:
    response = entra.post("Users", create_user_request(**kwargs))
    assert response.status_code == 201, response.content
    return body_of(response)


def create_group_request(display_name: str = "displayName") -> dict[str, Any]:
    """Create Group, as the tutorial documents it: with Microsoft's ADSCIM schema URI."""
    return {
        "schemas": [GROUP_SCHEMA, ADSCIM_GROUP],
        "externalId": guid(),
        "displayName": display_name,
        "meta": {"resourceType": "Group"},
    }


def create_group(entra: ScimBrowser, display_name: str = "displayName") -> dict[str, Any]:
    # Groups are arranged with the core schema alone so that the group operations below
    # are tested apart from the ADSCIM URI, which test_create_group covers.
    payload = create_group_request(display_name)
    payload["schemas"] = [GROUP_SCHEMA]
    response = entra.post("Groups", payload)
    assert response.status_code == 201, response.content
    return body_of(response)


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def assert_empty_list(response: Any) -> None:
    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 0
    assert body.get("Resources", []) == []
    assert body["startIndex"] == 1


def assert_documented_user(user: dict[str, Any], *, user_name: str = USER_NAME) -> None:
    assert USER_SCHEMA in user["schemas"]
    assert user["id"]
    assert user["userName"] == user_name
    assert user["name"]["familyName"] == "familyName"
    assert user["name"]["givenName"] == "givenName"
    assert user["active"] is True
    assert user["emails"] == [{"value": WORK_EMAIL, "type": "work", "primary": True}]
    assert user["meta"]["resourceType"] == "User"
    assert {"created", "lastModified"} <= set(user["meta"])


# --- Provisioning setup ----------------------------------------------------------------


def test_test_connection_finds_no_user_for_a_random_guid(entra):
    """Test Connection queries a user that does not exist by a random GUID on the
    matching property; the expected answer is 200 with an empty ListResponse."""
    response = entra.get(f'Users?filter=userName eq "{guid()}"')

    assert_empty_list(response)


def test_test_connection_on_the_external_id_matching_property(entra):
    assert_empty_list(entra.get(f'Users?filter=externalId eq "{guid()}"'))


def test_test_connection_fetches_a_random_group(entra):
    """Entra also fetches a random group to check the endpoint and the credentials."""
    assert_empty_list(
        entra.get(f'Groups?excludedAttributes=members&filter=displayName eq "{guid()}"')
    )


# --- User operations -------------------------------------------------------------------


def formatted_name(entra, user):
    """name.formatted is derived from the parts and returned only when asked for, so that
    a client reads back the name it set (scim2-tester checks that round trip)."""
    assert "formatted" not in user["name"]
    return entra.get(f"Users/{user['id']}?attributes=name.formatted").json()["name"]["formatted"]


def test_create_user(entra):
    request = create_user_request()

    response = entra.post("Users", request)

    assert response.status_code == 201, response.content
    assert scim_content_type(response)
    user = body_of(response)
    assert_documented_user(user)
    assert user["externalId"] == request["externalId"]
    # Derived, and given on request (/Schemas: returned "request"), see formatted_name().
    assert formatted_name(entra, user) == "givenName familyName"


def test_get_user(entra):
    created = create_user(entra)

    response = entra.get(f"Users/{created['id']}")

    assert response.status_code == 200, response.content
    assert scim_content_type(response)
    user = body_of(response)
    assert_documented_user(user)
    assert user["id"] == created["id"]
    assert user["externalId"] == created["externalId"]


def test_get_user_that_does_not_exist_is_404_with_a_scim_error(entra):
    response = entra.get(f"Users/{guid()}")

    assert response.status_code == 404
    body = body_of(response)
    assert body["schemas"] == [ERROR]
    assert body["status"] == "404"


def test_get_user_by_query(entra):
    created = create_user(entra)

    response = entra.get(f'Users?filter=userName eq "{USER_NAME}"')

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 1
    assert body["startIndex"] == 1
    assert body["itemsPerPage"] == 1
    assert body["Resources"][0]["id"] == created["id"]
    assert_documented_user(body["Resources"][0])


def test_get_user_by_query_on_the_work_email(entra):
    """'Use userName or emails[type eq "work"] attributes to query users.'"""
    created = create_user(entra)

    response = entra.get(f'Users?filter=emails[type eq "work"].value eq "{WORK_EMAIL}"')

    assert response.status_code == 200, response.content
    assert [user["id"] for user in body_of(response)["Resources"]] == [created["id"]]


def test_get_user_by_query_on_the_external_id(entra):
    created = create_user(entra)

    response = entra.get(f'Users?filter=externalId eq "{created["externalId"]}"')

    assert response.status_code == 200, response.content
    assert [user["id"] for user in body_of(response)["Resources"]] == [created["id"]]


def test_get_user_by_query_zero_results(entra):
    create_user(entra)

    assert_empty_list(entra.get('Users?filter=userName eq "non-existent user"'))


def test_update_user_multi_valued_properties(entra):
    created = create_user(entra)

    response = entra.patch(
        f"Users/{created['id']}",
        patch(
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ),
    )

    assert response.status_code == 200, response.content
    user = body_of(response)
    assert user["emails"] == [
        {"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}
    ]
    assert user["name"]["familyName"] == "updatedFamilyName"
    assert user["name"]["givenName"] == "givenName"
    assert formatted_name(entra, user) == "givenName updatedFamilyName"
    assert user["userName"] == USER_NAME


def test_update_user_single_valued_properties(entra):
    created = create_user(entra)
    new_name = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"

    response = entra.patch(
        f"Users/{created['id']}", patch({"op": "Replace", "path": "userName", "value": new_name})
    )

    assert response.status_code == 200, response.content
    user = body_of(response)
    assert user["userName"] == new_name
    assert user["emails"][0]["value"] == WORK_EMAIL
    assert user["name"]["familyName"] == "familyName"


def test_disable_user(entra):
    created = create_user(entra)

    response = entra.patch(
        f"Users/{created['id']}", patch({"op": "Replace", "path": "active", "value": False})
    )

    assert response.status_code == 200, response.content
    assert body_of(response)["active"] is False
    # "The user object should be returned in a request whether or not the user is active."
    found = entra.get(f'Users?filter=userName eq "{USER_NAME}"')
    assert [user["active"] for user in body_of(found)["Resources"]] == [False]
    assert body_of(entra.get(f"Users/{created['id']}"))["active"] is False


def test_restore_a_disabled_user(entra):
    created = create_user(entra)
    entra.patch(
        f"Users/{created['id']}", patch({"op": "Replace", "path": "active", "value": False})
    )

    response = entra.patch(
        f"Users/{created['id']}", patch({"op": "Replace", "path": "active", "value": True})
    )

    assert response.status_code == 200, response.content
    assert body_of(response)["active"] is True


def test_delete_user(entra):
    created = create_user(entra)

    response = entra.delete(f"Users/{created['id']}")

    assert response.status_code == 204
    assert not response.content
    assert entra.get(f"Users/{created['id']}").status_code == 404
    assert_empty_list(entra.get(f'Users?filter=userName eq "{USER_NAME}"'))


# --- Group operations ------------------------------------------------------------------


def test_create_group(entra):
    """Entra creates every group with Microsoft's ADSCIM schema URI beside the core one."""
    request = create_group_request()

    response = entra.post("Groups", request)

    assert response.status_code == 201, response.content
    assert scim_content_type(response)
    group = body_of(response)
    assert group["schemas"] == [GROUP_SCHEMA]
    assert group["id"]
    assert group["externalId"] == request["externalId"]
    assert group["displayName"] == "displayName"
    assert group.get("members", []) == []
    assert group["meta"]["resourceType"] == "Group"
    assert Group.objects.get().display_name == "displayName"


def test_get_group_without_members(entra):
    created = create_group(entra)

    response = entra.get(f"Groups/{created['id']}?excludedAttributes=members")

    assert response.status_code == 200, response.content
    group = body_of(response)
    assert group["id"] == created["id"]
    assert group["externalId"] == created["externalId"]
    assert group["displayName"] == "displayName"
    assert "members" not in group


def test_get_group_by_display_name(entra):
    created = create_group(entra)

    response = entra.get('Groups?excludedAttributes=members&filter=displayName eq "displayName"')

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["schemas"] == [LIST_RESPONSE]
    assert body["totalResults"] == 1
    assert body["startIndex"] == 1
    (group,) = body["Resources"]
    assert group["id"] == created["id"]
    assert group["displayName"] == "displayName"
    assert "members" not in group


def test_update_group_non_member_attributes(entra):
    created = create_group(entra)
    new_name = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"

    response = entra.patch(
        f"Groups/{created['id']}",
        patch({"op": "Replace", "path": "displayName", "value": new_name}),
    )

    assert response.status_code == 204
    assert body_of(entra.get(f"Groups/{created['id']}"))["displayName"] == new_name


def test_update_group_add_members(entra):
    group = create_group(entra)
    user = create_user(entra)

    response = entra.patch(
        f"Groups/{group['id']}",
        patch({"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]}),
    )

    assert response.status_code == 204
    members = body_of(entra.get(f"Groups/{group['id']}"))["members"]
    assert [member["value"] for member in members] == [user["id"]]


def test_update_group_adds_several_members_in_one_patch(entra):
    """Gallery checklist: "Support updating multiple group memberships with a single PATCH"."""
    group = create_group(entra)
    users = [
        create_user(entra, user_name=f"member{n}@testuser.com", email=f"member{n}@testuser.com")
        for n in range(3)
    ]

    response = entra.patch(
        f"Groups/{group['id']}",
        patch(
            {
                "op": "Add",
                "path": "members",
                "value": [{"$ref": None, "value": user["id"]} for user in users],
            }
        ),
    )

    assert response.status_code == 204
    members = body_of(entra.get(f"Groups/{group['id']}"))["members"]
    assert sorted(member["value"] for member in members) == sorted(u["id"] for u in users)


def test_update_group_remove_members(entra):
    group = create_group(entra)
    user = create_user(entra)
    member = [{"$ref": None, "value": user["id"]}]
    entra.patch(f"Groups/{group['id']}", patch({"op": "Add", "path": "members", "value": member}))

    response = entra.patch(
        f"Groups/{group['id']}", patch({"op": "Remove", "path": "members", "value": member})
    )

    assert response.status_code == 204
    assert body_of(entra.get(f"Groups/{group['id']}")).get("members", []) == []


def test_delete_group(entra):
    created = create_group(entra)

    response = entra.delete(f"Groups/{created['id']}")

    assert response.status_code == 204
    assert entra.get(f"Groups/{created['id']}").status_code == 404


# --- Schema discovery ------------------------------------------------------------------


def test_discover_schema(entra):
    response = entra.get("Schemas")

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["schemas"] == [LIST_RESPONSE]
    ids = {schema["id"] for schema in body["Resources"]}
    assert {USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE} <= ids
    assert body["totalResults"] == len(body["Resources"])
    user = next(schema for schema in body["Resources"] if schema["id"] == USER_SCHEMA)
    user_name = next(a for a in user["attributes"] if a["name"] == "userName")
    assert user_name["required"] is True
    assert user_name["mutability"] == "readWrite"  # camel cased, as the tutorial requires
    assert user_name["uniqueness"] == "server"
    # "If a value isn't present, don't send null values."
    assert "null" not in response.content.decode()


# --- Handling provisioning: the manager reference (Example 5) --------------------------


def test_add_the_manager_as_a_reference(entra):
    user = create_user(entra)
    manager = create_user(entra, user_name="manager@testuser.com", email="manager@testuser.com")

    response = entra.patch(
        f"Users/{user['id']}",
        patch(
            {
                "op": "Add",
                "path": "manager",
                "value": [
                    {"$ref": f"http://testserver/scim/v2/Users/{manager['id']}",
                     "value": manager["id"]}
                ],
            }
        ),
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert body_of(response)[ENTERPRISE]["manager"]["value"] == manager["id"]
    assert str(Person.objects.get(pk=user["id"]).manager_id) == manager["id"]


# --- Known issues with SCIM 2.0 compliance: PATCH without and with aadOptscim062020 ----


def test_disable_user_with_active_as_a_string_without_the_flag(entra):
    created = create_user(entra)

    response = entra.patch(
        f"Users/{created['id']}", patch({"op": "Replace", "path": "active", "value": "False"})
    )

    assert response.status_code == 200, response.content
    assert body_of(response)["active"] is False


def test_disable_user_with_active_as_a_boolean_with_the_flag(entra):
    created = create_user(entra)

    response = entra.patch(
        f"Users/{created['id']}", patch({"op": "replace", "path": "active", "value": False})
    )

    assert response.status_code == 200, response.content
    assert body_of(response)["active"] is False


@pytest.mark.parametrize("op", ["Add", "add"])
def test_add_a_single_valued_string_attribute(entra, op):
    # Microsoft's example adds nickName; under the directory agreement the admin deletes
    # that mapping, so the same shape is replayed on title, which the agreement carries.
    created = create_user(entra)

    response = entra.patch(
        f"Users/{created['id']}", patch({"op": op, "path": "title", "value": "Babs"})
    )

    assert response.status_code == 200, response.content
    assert body_of(response)["title"] == "Babs"


def test_replace_multiple_attributes_without_the_flag(entra):
    created = create_user(entra)

    response = entra.patch(
        f"Users/{created['id']}",
        patch(
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestBcwqnm@test.microsoft.com",
            },
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "Eqpj"},
        ),
    )

    assert response.status_code == 200, response.content
    user = body_of(response)
    assert user["displayName"] == "Pvlo"
    assert user["emails"][0]["value"] == "TestBcwqnm@test.microsoft.com"
    assert (user["name"]["givenName"], user["name"]["familyName"]) == ("Gtfd", "Pkqf")
    assert user["externalId"] == "Eqpj"
    assert user[ENTERPRISE]["employeeNumber"] == "Eqpj"


def test_replace_multiple_attributes_with_the_flag(entra):
    created = create_user(entra)

    response = entra.patch(
        f"Users/{created['id']}",
        patch(
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestMhvaes@test.microsoft.com",
            },
            {
                "op": "replace",
                "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    f"{ENTERPRISE}:employeeNumber": "Aklq",
                },
            },
        ),
    )

    assert response.status_code == 200, response.content
    user = body_of(response)
    assert user["emails"][0]["value"] == "TestMhvaes@test.microsoft.com"
    assert user["displayName"] == "Bjfe"
    assert (user["name"]["givenName"], user["name"]["familyName"]) == ("Kkom", "Unua")
    assert user[ENTERPRISE]["employeeNumber"] == "Aklq"


def test_remove_a_group_member_without_the_flag(entra):
    group = create_group(entra)
    user = create_user(entra)
    entra.patch(
        f"Groups/{group['id']}",
        patch({"op": "Add", "path": "members", "value": [{"value": user["id"]}]}),
    )

    response = entra.patch(
        f"Groups/{group['id']}",
        patch({"op": "Remove", "path": "members", "value": [{"value": user["id"]}]}),
    )

    assert response.status_code == 204
    assert body_of(entra.get(f"Groups/{group['id']}")).get("members", []) == []


def test_remove_a_group_member_with_the_flag(entra):
    group = create_group(entra)
    user = create_user(entra)
    entra.patch(
        f"Groups/{group['id']}",
        patch({"op": "add", "path": "members", "value": [{"value": user["id"]}]}),
    )

    response = entra.patch(
        f"Groups/{group['id']}",
        patch({"op": "remove", "path": f'members[value eq "{user["id"]}"]'}),
    )

    assert response.status_code == 204
    assert body_of(entra.get(f"Groups/{group['id']}")).get("members", []) == []


# --- Handling provisioning: Example 2, the creation request with unassigned nulls ------


def test_provision_a_user_with_null_for_unassigned_attributes(entra):
    """Example 2 as documented, schema URI and all: attributes with no value in Entra are
    sent as null, top-level department and manager included."""
    response = entra.post(
        "Users",
        {
            "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
            "externalId": "jyoung",
            "userName": "jyoung@testuser.com",
            "active": True,
            "addresses": None,
            "displayName": "Joy Young",
            "emails": [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "Young", "givenName": "Joy"},
            "phoneNumbers": None,
            "preferredLanguage": None,
            "title": None,
            "department": None,
            "manager": None,
        },
    )

    assert response.status_code == 201, response.content
    user = body_of(response)
    assert user["externalId"] == "jyoung"
    assert user["displayName"] == "Joy Young"
    assert "title" not in user
    assert "phoneNumbers" not in user
