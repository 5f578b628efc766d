"""Microsoft's gallery validation: the direct SCIM tests of `SCIMTests_Workflow` in
AzureAD/SCIMReferenceCode (Microsoft.SCIM.LogicAppValidationTemplate), replayed with the
requests it builds and the checks it makes, for an Entra app whose admin kept only the
mappings the `directory` agreement carries (docs/identity-providers.md).

The workflow builds its payloads from the provisioning job's schema: MAPPED_USER and
MAPPED_GROUP are Entra's default SCIM mappings without the ones outside the agreement, and
TARGET_USER_ATTRIBUTES the app's user attribute list after the admin deleted the attributes
outside the agreement (and name.formatted, which the portal derives) from it.

The tests that need Entra itself (provisioning cycles, provision on demand, OAuth and
federated credentials) are not SCIM requests; the lifecycle ones are replayed at the end
as the SCIM requests they end in."""

from typing import Any

import pytest

from tests.provisioning.scim.clients.conftest import body_of, guid
from tests.provisioning.scim.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    PATCH_SCHEMA,
    USER_SCHEMA,
    ScimBrowser,
)

pytestmark = pytest.mark.django_db

# The user attribute mappings left after deleting those outside the agreement:
# (Entra source, SCIM target, matching precedence).
MAPPED_USER: tuple[tuple[str, str, int], ...] = (
    ("userPrincipalName", "userName", 1),
    ("Switch([IsSoftDeleted], ...)", "active", 0),
    ("displayName", "displayName", 0),
    ("jobTitle", "title", 0),
    ("mail", 'emails[type eq "work"].value', 0),
    ("preferredLanguage", "preferredLanguage", 0),
    ("givenName", "name.givenName", 0),
    ("surname", "name.familyName", 0),
    ("telephoneNumber", 'phoneNumbers[type eq "work"].value', 0),
    ("mobile", 'phoneNumbers[type eq "mobile"].value', 0),
    ("facsimileTelephoneNumber", 'phoneNumbers[type eq "fax"].value', 0),
    ("mailNickname", "externalId", 0),
    ("employeeId", f"{ENTERPRISE}:employeeNumber", 0),
    ("department", f"{ENTERPRISE}:department", 0),
    ("manager", f"{ENTERPRISE}:manager", 0),
)
MAPPED_GROUP = ("displayName", "externalId", "members")
REFERENCES = frozenset({f"{ENTERPRISE}:manager", "members"})
TARGET_USER_ATTRIBUTES = (
    "userName", "active", "displayName", "title", 'emails[type eq "work"].value',
    "preferredLanguage", "name.givenName", "name.familyName",
    'phoneNumbers[type eq "work"].value', 'phoneNumbers[type eq "mobile"].value',
    'phoneNumbers[type eq "fax"].value', "externalId", "userType",
    f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:costCenter", f"{ENTERPRISE}:organization",
    f"{ENTERPRISE}:division", f"{ENTERPRISE}:department", f"{ENTERPRISE}:manager",
)  # fmt: skip

# The values of the test user in Entra (the workflow reads them from the user it creates;
# for e-mails and phone numbers the admin gives real-looking ones in scimTargetUserValues).
SOURCE_VALUES = {
    "displayName": "Lascuser Test",
    "jobTitle": "Analyst",
    "mail": "lascuser1a2b3c4d@contoso.example",
    "preferredLanguage": "en-GB",
    "givenName": "Lascuser",
    "surname": "Test",
    "telephoneNumber": "+44 20 7946 0000",
    "mobile": "+44 7700 900000",
    "facsimileTelephoneNumber": "+44 20 7946 0001",
    "employeeId": "100009",
    "department": "Human Resources",
}
TARGET_USER_VALUES = {
    'emails[type eq "work"].value': "updated.lascuser@contoso.example",
    'phoneNumbers[type eq "work"].value': "+44 20 7946 0999",
    'phoneNumbers[type eq "mobile"].value': "+44 7700 900999",
    'phoneNumbers[type eq "fax"].value': "+44 20 7946 0998",
}


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def schemas_of(entra: ScimBrowser) -> list[dict[str, Any]]:
    response = entra.get("Schemas")
    assert response.status_code == 200, response.content
    resources: list[dict[str, Any]] = body_of(response)["Resources"]
    return resources


def flattened(schema: dict[str, Any]) -> list[str]:
    """The attribute names the workflow derives from a core schema (Flatten_*_Attrs_Loop)."""
    names = []
    for attribute in schema.get("attributes", []):
        name, sub_attributes = attribute["name"], attribute.get("subAttributes") or []
        if name in {"manager", "members"}:
            names.append(name)
        elif attribute["type"] == "complex" and attribute.get("multiValued"):
            types = [sub for sub in sub_attributes if sub["name"] == "type"]
            canonical = types[0].get("canonicalValues") if types else None
            if canonical:
                names += [
                    f'{name}[type eq "{value}"].{sub["name"]}'
                    for value in canonical
                    for sub in sub_attributes
                    if sub["name"] not in {"type", "primary"}
                ]
            else:
                names += [
                    f'{name}[primary eq "True"].{sub["name"]}'
                    for sub in sub_attributes
                    if sub["name"] != "primary"
                ]
        elif attribute["type"] == "complex":
            names += [
                f"{name}.{sub['name']}"
                for sub in sub_attributes
                if sub["type"] not in {"complex", "reference"}
            ]
        elif attribute["type"] != "reference":
            names.append(name)
    return names


def put(body: dict[str, Any], target: str, value: str) -> None:
    """A target path's value set in a User body as the workflow sets it: typed multi-valued
    targets become array entries (the first one primary), URN targets the extension."""
    if "[" in target:
        parent, kind = target.split("[")[0], target.split('"')[1]
        entries = body.setdefault(parent, [])
        entries.append({"type": kind, "primary": not entries, "value": value})
    elif target.startswith("urn:"):
        body.setdefault(ENTERPRISE, {})[target.rsplit(":", 1)[1]] = value
        if ENTERPRISE not in body["schemas"]:
            body["schemas"].append(ENTERPRISE)
    elif "." in target:
        parent, sub = target.split(".")
        body.setdefault(parent, {})[sub] = value
    else:
        body[target] = value


def null_create_body(user_name: str) -> dict[str, Any]:
    """scimNullCreateBody (also what Entra provisions from the mappings): userName, active,
    externalId and every mapped target with the test user's value; typed multi-valued
    targets become arrays, the first one primary."""
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "active": True,
        "externalId": guid(),
    }
    for source, target, _ in MAPPED_USER:
        if target in {"userName", "active", "externalId"} or target in REFERENCES:
            continue
        put(body, target, SOURCE_VALUES[source])
    return body


def generated_value(target: str) -> str:
    """Compose_SCIM_Source_Value: the value the workflow generates for a target."""
    lowered = target.lower()
    if lowered == "displayname":
        return "SCIM Test User"
    if "emails[" in lowered:
        return f"lasctest{guid()[:8]}@contoso.example"
    if "phonenumbers[" in lowered:
        return f"+1-555-{guid().replace('-', '')[:4]}"
    for ending, value in (
        (".givenname", "Test"), (".familyname", "User"), ("preferredlanguage", "en-US"),
        ("usertype", "Employee"), ("title", "Test Engineer"),
        (":employeenumber", guid().replace("-", "")[:6]),
    ):  # fmt: skip
        if lowered.endswith(ending):
            return value
    name = target.rsplit(":", 1)[-1].rsplit(".", 1)[-1].split("[")[0]
    return f"Test-{name}-{guid()[:6]}"


def scim_user_body(user_name: str) -> dict[str, Any]:
    """scimUserBody (Build_SCIM_User_Body), with the externalId and userName the direct
    tests set: every target attribute but id, references, userName, active and roles."""
    body: dict[str, Any] = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True}
    for target in TARGET_USER_ATTRIBUTES:
        if target in {"userName", "active", "externalId", "roles"} or target in REFERENCES:
            continue
        put(body, target, generated_value(target))
    body["externalId"] = guid()
    return body


def create_user(entra: ScimBrowser, user_name: str) -> dict[str, Any]:
    response = entra.post("Users", scim_user_body(user_name))
    assert response.status_code in {200, 201}, response.content
    return body_of(response)


def value_at(user: dict[str, Any], target: str) -> Any:
    """What the workflow reads back for a target (Compose_NullVerify_ActualValue)."""
    if "[type eq" in target:
        parent, kind = target.split("[")[0], target.split('"')[1]
        entries = [e for e in user.get(parent) or [] if str(e.get("type", "")).lower() == kind]
        return (entries[0].get(target.rsplit(".", 1)[1]) if entries else None) or ""
    if target.startswith("urn:"):
        urn, name = target.rsplit(":", 1)
        return (user.get(urn) or {}).get(name) or ""
    if "." in target:
        parent, sub = target.split(".")
        return (user.get(parent) or {}).get(sub) or ""
    return user.get(target) or ""


def raw_value_at(user: dict[str, Any], target: str) -> Any:
    """A scalar target as read back without coalescing (phase 2 wants null itself)."""
    if target.startswith("urn:"):
        urn, name = target.rsplit(":", 1)
        return (user.get(urn) or {}).get(name)
    if "." in target:
        parent, sub = target.split(".")
        return (user.get(parent) or {}).get(sub)
    return user.get(target)


def null_update_targets(entra: ScimBrowser) -> list[str]:
    """Filter_Null_Update_Target_Attributes: mapped, not matching, not a reference, not
    userName/active/externalId/roles, and not required in the served schemas."""
    schemas = {schema["id"]: schema for schema in schemas_of(entra)}
    required_core = {a["name"] for a in schemas[USER_SCHEMA]["attributes"] if a.get("required")}
    required_enterprise = {
        a["name"] for a in schemas.get(ENTERPRISE, {}).get("attributes", []) if a.get("required")
    }
    targets = []
    for _, target, precedence in MAPPED_USER:
        if precedence or target in REFERENCES:
            continue
        if target in {"userName", "active", "externalId", "roles"}:
            continue
        if target.startswith("urn:"):
            if target.rsplit(":", 1)[1] in required_enterprise:
                continue
        elif target.split("[")[0].split(".")[0] in required_core:
            continue
        targets.append(target)
    return targets


def test_schema_discoverability(entra):
    """Schema_Discoverability_Test: every mapped user and group attribute can be found in
    /Schemas, the way the workflow flattens it (case-insensitive)."""
    response = entra.get("Schemas")
    assert response.status_code == 200, response.content
    resources = body_of(response)["Resources"]
    assert resources
    by_id = {schema["id"]: schema for schema in resources}
    assert GROUP_SCHEMA in by_id, "/Schemas did not return Group schema"
    user_names = flattened(by_id[USER_SCHEMA])
    for schema in resources:
        if schema["id"] not in {USER_SCHEMA, GROUP_SCHEMA}:
            user_names += [f"{schema['id']}:{a['name']}" for a in schema.get("attributes", [])]
    user_lookup = "|" + "|".join(user_names).lower() + "|"
    group_lookup = "|" + "|".join(flattened(by_id[GROUP_SCHEMA])).lower() + "|"

    missing_user = [t for _, t, _ in MAPPED_USER if f"|{t.lower()}|" not in user_lookup]
    missing_group = [t for t in MAPPED_GROUP if f"|{t.lower()}|" not in group_lookup]

    assert (missing_user, missing_group) == ([], [])


@pytest.mark.parametrize("phase", ["empty string", "null"])
def test_scim_null_update(entra, phase):
    """SCIM_Null_Update_Test: optional attributes replaced with "" (phase 1), then with
    null (phase 2), one operation per path; afterwards each reads back null or empty."""
    created = entra.post("Users", null_create_body(f"scnull{guid()[:8]}@contoso.example"))
    assert created.status_code in {200, 201}, created.content
    user = body_of(created)
    assert entra.get(f"Users/{user['id']}").status_code == 200
    targets = null_update_targets(entra)
    operations = [{"op": "replace", "path": target, "value": ""} for target in targets]

    first = entra.patch(f"Users/{user['id']}", patch(*operations))

    assert first.status_code in {200, 204}, first.content
    after = body_of(entra.get(f"Users/{user['id']}"))
    assert {t: value_at(after, t) for t in targets if value_at(after, t) not in ("", None)} == {}
    if phase == "null":
        nulls = [{"op": "replace", "path": target, "value": None} for target in targets]
        second = entra.patch(f"Users/{user['id']}", patch(*nulls))
        assert second.status_code in {200, 204}, second.content
        after = body_of(entra.get(f"Users/{user['id']}"))
        # Select_Null_Phase2_Verify: a scalar must now be absent (null), not "".
        scalars = [target for target in targets if "[" not in target]
        assert [t for t in scalars if raw_value_at(after, t) is not None] == []
    assert entra.delete(f"Users/{user['id']}").status_code == 204


def test_scim_user_create(entra):
    """SCIM_User_Create_Test: 200 or 201, an id, and the userName sent comes back."""
    user_name = f"lascuser{guid()[:8]}@contoso.example"

    response = entra.post("Users", scim_user_body(user_name))

    assert response.status_code in {200, 201}, response.content
    body = body_of(response)
    assert body["id"]
    assert body["userName"] == user_name
    assert entra.delete(f"Users/{body['id']}").status_code == 204


def test_scim_user_update(entra):
    """SCIM_User_Update_Test: every single-valued, readWrite, non-reference target of the
    directory schema replaced in one PATCH (one operation each); the GET matches."""
    user = create_user(entra, f"lasupduser{guid()[:8]}@contoso.example")
    eligible = [
        target
        for target in TARGET_USER_ATTRIBUTES
        if target not in {"active", "groups", "roles"} and target not in REFERENCES
    ]
    operations = [
        {"op": "replace", "path": t, "value": TARGET_USER_VALUES.get(t, f"upd-{guid()[:8]}")}
        for t in eligible
    ]

    response = entra.patch(f"Users/{user['id']}", patch(*operations))

    assert response.status_code in {200, 204}, response.content
    got = entra.get(f"Users/{user['id']}")
    assert got.status_code == 200
    after = body_of(got)
    mismatches = []
    for operation in operations:
        target, sent = operation["path"], operation["value"]
        if "[" in target:
            matched = sent in str(after.get(target.split("[")[0]) or [])
        else:
            matched = value_at(after, target) == sent
        if not matched:
            mismatches.append(target)
    assert mismatches == []


def test_scim_group_create(entra):
    """SCIM_Group_Create_Test: 200 or 201, an id, and the displayName sent comes back."""
    name = f"LASCDirectGroup-{guid()[:8]}"

    response = entra.post(
        "Groups", {"schemas": [GROUP_SCHEMA], "externalId": guid(), "displayName": name}
    )

    assert response.status_code in {200, 201}, response.content
    body = body_of(response)
    assert body["id"]
    assert body["displayName"] == name
    assert entra.delete(f"Groups/{body['id']}").status_code == 204


def test_scim_group_update(entra):
    """SCIM_Group_Update_Test: the single-valued readWrite group targets (displayName,
    externalId) replaced; the GET shows the values sent."""
    created = entra.post(
        "Groups",
        {"schemas": [GROUP_SCHEMA], "externalId": guid(), "displayName": f"LASUpd-{guid()[:8]}"},
    )
    assert created.status_code in {200, 201}, created.content
    group_id = body_of(created)["id"]
    operations = [
        {"op": "replace", "path": path, "value": f"upd-{guid()[:8]}"}
        for path in MAPPED_GROUP
        if path != "members"
    ]

    response = entra.patch(f"Groups/{group_id}", patch(*operations))

    assert response.status_code in {200, 204}, response.content
    got = entra.get(f"Groups/{group_id}")
    assert got.status_code == 200
    after = body_of(got)
    assert [o["path"] for o in operations if after.get(o["path"]) != o["value"]] == []


def page_through(entra: ScimBrowser, resource: str) -> list[dict[str, Any]]:
    """Until_*_Pagination_Complete: count=5 pages, the next startIndex computed from the
    previous page, at most 10 pages."""
    pages: list[dict[str, Any]] = []
    url: str | None = f"{resource}?startIndex=1&count=5"
    while url and len(pages) < 10:
        response = entra.get(url)
        body = body_of(response) if response.status_code == 200 else {}
        start = body.get("startIndex", 1)
        resources = body.get("Resources") or []
        pages.append(
            {
                "status": response.status_code,
                "startIndex": body.get("startIndex", 0),
                "expected": len(pages) * 5 + 1,
            }
        )
        following = start + len(resources)
        url = (
            f"{resource}?startIndex={following}&count=5"
            if resources and following <= body.get("totalResults", 0)
            else None
        )
    return pages


def test_scim_user_pagination(entra):
    """SCIM_User_Pagination_Test: at least 11 users, then at least two pages of five, each
    200 with the startIndex expected."""
    existing = body_of(entra.get("Users?startIndex=1&count=5"))["totalResults"]
    created = []
    for _ in range(max(0, 11 - existing)):
        body = scim_user_body(f"paguser{guid()[:8]}@contoso.example")
        body["displayName"] = f"PagUser {guid()[:8]}"
        response = entra.post("Users", body)
        assert response.status_code in {200, 201}, response.content
        created.append(body_of(response)["id"])

    pages = page_through(entra, "Users")

    assert len(pages) >= 2
    assert [p for p in pages if p["status"] != 200 or p["startIndex"] != p["expected"]] == []
    assert all(entra.delete(f"Users/{user_id}").status_code == 204 for user_id in created)


def test_scim_group_pagination(entra):
    """SCIM_Group_Pagination_Test: the same for /Groups."""
    for _ in range(11):
        response = entra.post(
            "Groups",
            {"schemas": [GROUP_SCHEMA], "externalId": guid(), "displayName": f"PagGroup {guid()}"},
        )
        assert response.status_code in {200, 201}, response.content

    pages = page_through(entra, "Groups")

    assert len(pages) == 3
    assert [p for p in pages if p["status"] != 200 or p["startIndex"] != p["expected"]] == []


def test_scim_update_manager(entra):
    """SCIM_Update_Manager_Test: the manager set (Add, a bare id), changed (replace), then
    removed (replace with ""); each PATCH 200 or 204 and the GET shows the change."""
    user = create_user(entra, f"scmgr-user-{guid()[:8]}@contoso.example")
    first = create_user(entra, f"scmgr-mgr-{guid()[:8]}@contoso.example")
    path = f"{ENTERPRISE}:manager"

    def manager_value() -> Any:
        body = body_of(entra.get(f"Users/{user['id']}"))
        return ((body.get(ENTERPRISE) or {}).get("manager") or {}).get("value")

    set_ = entra.patch(
        f"Users/{user['id']}", patch({"op": "Add", "path": path, "value": first["id"]})
    )
    assert set_.status_code in {200, 204}, set_.content
    assert manager_value() == first["id"]

    second = create_user(entra, f"scmgr-mgr2-{guid()[:8]}@contoso.example")
    change = entra.patch(
        f"Users/{user['id']}", patch({"op": "replace", "path": path, "value": second["id"]})
    )
    assert change.status_code in {200, 204}, change.content
    assert manager_value() == second["id"]

    remove = entra.patch(f"Users/{user['id']}", patch({"op": "replace", "path": path, "value": ""}))
    assert remove.status_code in {200, 204}, remove.content
    assert manager_value() in (None, "")


def test_validate_credentials_with_the_static_token(entra):
    """Validate_Credentials_Test's SCIM check, with the long-lived token an admin pastes
    in Secret Token (the OAuth token endpoint part is skipped for a static token)."""
    response = entra.get("Users?startIndex=1&count=1")

    assert 200 <= response.status_code < 300


# --- The lifecycle tests run through Entra: the SCIM requests they end in ---------------


def test_restore_user_after_unassignment(entra):
    """Restore_User_Test (UnassignReassign): the user is provisioned, unassigned (Entra
    deletes it; it must be gone from SCIM), then assigned again: Entra finds no user by
    userName and creates it, which must succeed and show the user again."""
    user_name = f"larestore{guid()[:8]}@contoso.example"
    body = null_create_body(user_name)  # as Entra provisions the user, from its mappings
    created = entra.post("Users", body)
    assert created.status_code in {200, 201}, created.content
    user_id = body_of(created)["id"]

    assert entra.delete(f"Users/{user_id}").status_code == 204
    assert entra.get(f"Users/{user_id}").status_code == 404
    gone = entra.get(f'Users?filter=userName eq "{user_name}"')
    assert body_of(gone)["totalResults"] == 0

    again = entra.post("Users", body)

    assert again.status_code in {200, 201}, again.content
    found = entra.get(f'Users?filter=userName eq "{user_name}"')
    assert body_of(found)["totalResults"] == 1


def test_restore_group_after_unassignment(entra):
    """Restore_Group_Test: the group deleted on unassignment, then created again."""
    body = {"schemas": [GROUP_SCHEMA], "externalId": guid(), "displayName": f"LAR-{guid()[:8]}"}
    created = entra.post("Groups", body)
    assert created.status_code in {200, 201}, created.content
    assert entra.delete(f"Groups/{body_of(created)['id']}").status_code == 204

    again = entra.post("Groups", body)

    assert again.status_code in {200, 201}, again.content
    found = entra.get(f'Groups?filter=displayName eq "{body["displayName"]}"')
    assert body_of(found)["totalResults"] == 1
