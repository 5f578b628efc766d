"""Okta's SCIM 2.0 CRUD test (`Okta-SCIM-20-CRUD-Test.json`, okta/okta-developer-docs). The
test acts on Okta (create and assign a user, change the first name, deactivate, reactivate,
unassign) and then reads the SCIM app to check the result. Here the Okta side is what Okta's
"SCIM 2.0 protocol reference" documents it sends for each action, replayed in order, and the
SCIM-side checks are the test's own. The group push requests the same reference documents
follow. The app's admin has removed the attributes outside the `directory` agreement from
the app profile (locale among them), as docs/identity-providers.md says."""

from typing import Any

import pytest

from provisioning.models import Group, Person
from tests.provisioning.scim.clients.conftest import LIST_RESPONSE, body_of
from tests.provisioning.scim.conftest import (
    BASE,
    GROUP_SCHEMA,
    PATCH_SCHEMA,
    USER_SCHEMA,
    ScimBrowser,
)

pytestmark = pytest.mark.django_db

# Initial_Script_CRUD's variables.
FIRST_NAME = "Runscope052"
LAST_NAME = "Hwqpxkmzr731"
EMAIL = f"{FIRST_NAME}{LAST_NAME}@atko.com"
FIRST_NAME_UPDATE = f"{FIRST_NAME}update"
OKTA_USER_ID = "00ujl29u0le5T6Aj10h7"

HEADERS = {"User-Agent": "Okta SCIM Client 1.0.0"}


def okta_get(okta: ScimBrowser, path: str) -> Any:
    return okta.get(path, **HEADERS)


def okta_send(okta: ScimBrowser, method: str, path: str, body: dict[str, Any]) -> Any:
    return okta.call(method, path, body, content_type="application/json", **HEADERS)


def deactivation(active: bool) -> dict[str, Any]:
    """Okta's activate/deactivate PATCH: a replace without a path."""
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": active}}],
    }


def assign(okta: ScimBrowser) -> str:
    """Assigning a user: Okta looks the userName up, then creates the user with the app
    profile (Okta always sends a placeholder password, even with password sync off)."""
    lookup = okta_get(okta, f'Users?filter=userName eq "{EMAIL}"&startIndex=1&count=100')
    assert lookup.status_code == 200, lookup.content
    assert body_of(lookup)["totalResults"] == 0
    response = okta_send(
        okta,
        "post",
        "Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": EMAIL,
            "name": {"givenName": FIRST_NAME, "familyName": LAST_NAME},
            "emails": [{"primary": True, "value": EMAIL, "type": "work"}],
            "displayName": f"{FIRST_NAME} {LAST_NAME}",
            "externalId": OKTA_USER_ID,
            "groups": [],
            "password": "1mz050nq",
            "active": True,
        },
    )
    assert response.status_code == 201, response.content
    assert body_of(response)["id"]
    return str(body_of(response)["id"])


def scim_id(okta: ScimBrowser) -> str:
    """Step "Verify if user is created in SCIM App"."""
    response = okta_get(okta, f'Users?filter=userName eq "{EMAIL}"')
    assert response.status_code == 200, response.content
    user = body_of(response)["Resources"][0]
    assert user["userName"] == EMAIL
    assert user["emails"][0]["value"] == EMAIL
    assert user["name"]["familyName"] == LAST_NAME
    assert user["name"]["givenName"] == FIRST_NAME
    return str(user["id"])


def test_assigned_user_is_created_in_the_scim_app(okta):
    created = assign(okta)

    assert scim_id(okta) == created
    assert Person.objects.get(pk=created).external_id == OKTA_USER_ID


def test_first_name_update_reaches_the_scim_app(okta):
    """Update User Attributes: Okta GETs the user, changes what changed, PUTs it back."""
    user_id = assign(okta)
    current = okta_get(okta, f"Users/{user_id}")
    assert current.status_code == 200, current.content
    replacement = body_of(current)
    replacement["name"]["givenName"] = FIRST_NAME_UPDATE

    response = okta_send(okta, "put", f"Users/{user_id}", replacement)

    assert response.status_code == 200, response.content
    assert body_of(response)["name"]["givenName"] == FIRST_NAME_UPDATE
    verify = okta_get(okta, f"Users/{user_id}")
    assert verify.status_code == 200
    assert body_of(verify)["name"]["givenName"] == FIRST_NAME_UPDATE
    assert body_of(verify)["emails"][0]["value"] == EMAIL


def okta_sets_active(okta: ScimBrowser, user_id: str, active: bool) -> None:
    """Okta's (de)activation PATCH, then the CRUD test's check of the user in the app."""
    response = okta_send(okta, "patch", f"Users/{user_id}", deactivation(active))
    assert response.status_code in {200, 204}, response.content
    verify = okta_get(okta, f"Users/{user_id}")
    assert verify.status_code == 200
    assert body_of(verify)["active"] is active


def test_deactivated_user_is_inactive_in_the_scim_app(okta):
    okta_sets_active(okta, assign(okta), False)


def test_reactivated_user_is_active_in_the_scim_app(okta):
    user_id = assign(okta)
    okta_sets_active(okta, user_id, False)
    # Reactivating in Okta and assigning again: the user is found by userName, activated.
    lookup = okta_get(okta, f'Users?filter=userName eq "{EMAIL}"&startIndex=1&count=100')
    assert [user["id"] for user in body_of(lookup)["Resources"]] == [user_id]

    okta_sets_active(okta, user_id, True)


def test_unassigned_user_is_deactivated_not_deleted(okta):
    """Removing the assignment: Okta never DELETEs a user, it sets active to false."""
    user_id = assign(okta)
    okta_sets_active(okta, user_id, False)
    okta_sets_active(okta, user_id, True)

    okta_sets_active(okta, user_id, False)


def test_import_pages_through_users(okta):
    """Retrieve Users: imports page by page with count=100 until totalResults."""
    assign(okta)

    response = okta_get(okta, "Users?startIndex=1&count=100")

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["schemas"] == [LIST_RESPONSE]
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (1, 1, 1)


# --- Group push, as the SCIM 2.0 protocol reference documents it ------------------------


def push_group(okta: ScimBrowser) -> str:
    response = okta_send(
        okta,
        "post",
        "Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []},
    )
    assert response.status_code == 201, response.content
    group = body_of(response)
    assert group["displayName"] == "Test SCIMv2"
    assert group["id"]
    return str(group["id"])


def test_push_group_creates_it(okta):
    group_id = push_group(okta)

    found = okta_get(okta, 'Groups?filter=displayName eq "Test SCIMv2"&startIndex=1&count=100')
    assert found.status_code == 200, found.content
    assert [group["id"] for group in body_of(found)["Resources"]] == [group_id]
    one = okta_get(okta, f"Groups/{group_id}")
    assert one.status_code == 200
    assert body_of(one)["displayName"] == "Test SCIMv2"


def test_group_rename(okta):
    group_id = push_group(okta)

    response = okta_send(
        okta,
        "patch",
        f"Groups/{group_id}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "replace", "value": {"id": group_id, "displayName": "Test SCIMv20"}}
            ],
        },
    )

    assert response.status_code in {200, 204}, response.content
    assert Group.objects.get(pk=group_id).display_name == "Test SCIMv20"


def test_group_membership_update(okta):
    group_id = push_group(okta)
    first = assign(okta)
    second = body_of(
        okta_send(
            okta,
            "post",
            "Users",
            {
                "schemas": [USER_SCHEMA],
                "userName": "second.user@atko.com",
                "name": {"givenName": "Second", "familyName": "User"},
                "emails": [{"primary": True, "value": "second.user@atko.com", "type": "work"}],
                "active": True,
            },
        )
    )["id"]
    okta_send(okta, "patch", f"Groups/{group_id}", {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": second}]}],
    })  # fmt: skip

    response = okta_send(
        okta,
        "patch",
        f"Groups/{group_id}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "remove", "path": f'members[value eq "{second}"]'},
                {"op": "add", "path": "members", "value": [{"value": first, "display": EMAIL}]},
            ],
        },
    )

    assert response.status_code in {200, 204}, response.content
    members = body_of(okta_get(okta, f"Groups/{group_id}"))["members"]
    assert [member["value"] for member in members] == [first]


def test_group_membership_full_push(okta):
    group_id = push_group(okta)
    first = assign(okta)

    response = okta_send(
        okta,
        "patch",
        f"Groups/{group_id}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "replace", "path": "members", "value": [{"value": first, "display": EMAIL}]}
            ],
        },
    )

    assert response.status_code in {200, 204}, response.content
    members = body_of(okta_get(okta, f"Groups/{group_id}"))["members"]
    assert [member["value"] for member in members] == [first]


def test_unlink_pushed_group_deletes_it(okta):
    group_id = push_group(okta)

    response = okta.http.delete(f"{BASE}/Groups/{group_id}", headers=HEADERS)

    assert response.status_code == 204
    assert okta_get(okta, f"Groups/{group_id}").status_code == 404


# --- Custom apps made with the App Integration Wizard: every update is a PUT ------------


def test_profile_update_by_put_as_documented(okta):
    """Update a specific User (PUT), the documented body (id, groups, meta) without the
    middleName the admin removed from the profile."""
    user_id = assign(okta)

    response = okta_send(
        okta,
        "put",
        f"Users/{user_id}",
        {
            "schemas": [USER_SCHEMA],
            "id": user_id,
            "userName": EMAIL,
            "name": {"givenName": "Another", "familyName": LAST_NAME},
            "emails": [{"primary": True, "value": EMAIL, "type": "work", "display": EMAIL}],
            "active": True,
            "groups": [],
            "meta": {"resourceType": "User"},
        },
    )

    assert response.status_code == 200, response.content
    user = body_of(response)
    assert user["name"]["givenName"] == "Another"
    assert user["emails"][0]["value"] == EMAIL
    assert user["active"] is True


def test_deactivation_by_put_for_a_wizard_app(okta):
    """An AIW app deactivates and unassigns with a PUT of the user with active false."""
    user_id = assign(okta)
    current = body_of(okta_get(okta, f"Users/{user_id}"))

    response = okta_send(okta, "put", f"Users/{user_id}", {**current, "active": False})

    assert response.status_code == 200, response.content
    assert body_of(okta_get(okta, f"Users/{user_id}"))["active"] is False
    reactivated = okta_send(okta, "put", f"Users/{user_id}", {**current, "active": True})
    assert reactivated.status_code == 200, reactivated.content
    assert body_of(okta_get(okta, f"Users/{user_id}"))["active"] is True


def test_group_membership_by_put_for_a_wizard_app(okta):
    group_id = push_group(okta)
    first = assign(okta)

    response = okta_send(
        okta,
        "put",
        f"Groups/{group_id}",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Test SCIMv2",
            "members": [{"value": first, "display": EMAIL}],
        },
    )

    assert response.status_code == 200, response.content
    group = body_of(response)
    assert group["displayName"] == "Test SCIMv2"
    assert [member["value"] for member in group["members"]] == [first]
