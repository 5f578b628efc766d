"""Every resource the portal returns is described by the schema it serves on /Schemas,
for each agreement: a client that builds its models from /Schemas (as scim2-tester and
Microsoft's validator do) can read every response. Checked twice: by scim2-models' models
built from /Schemas and /ResourceTypes, and by walking each attribute against its
declaration, so that a lenient model cannot hide an undeclared attribute."""

from typing import Any

import pytest
from scim2_models import Context, ResourceType, Schema, ScimProvider

from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA, join

pytestmark = pytest.mark.django_db

# RFC 7643 §3.1: attributes of every resource, defined by no schema.
COMMON = frozenset({"schemas", "id", "meta"})
PROFILES = ["minimal", "directory"]


class Served:
    """What a client learns from the portal's discovery endpoints."""

    def __init__(self, scim: Any) -> None:
        schemas = scim.get("Schemas").json()["Resources"]
        resource_types = scim.get("ResourceTypes").json()["Resources"]
        self.schemas = {schema["id"]: schema for schema in schemas}
        self.resource_types = {rt["name"]: rt for rt in resource_types}
        self.provider = ScimProvider.from_discovery(
            [Schema.model_validate(schema) for schema in schemas],
            [ResourceType.model_validate(rt) for rt in resource_types],
            None,
        )

    def undeclared(
        self, resource: dict[str, Any], *, asked: frozenset[str] = frozenset(), kind: str = ""
    ) -> list[str]:
        """The paths of `resource` its schemas do not declare, or declare as not returned
        in this response (`never`, or `request` unless the path is in `asked`)."""
        resource_type = self.resource_types[kind or resource["meta"]["resourceType"]]
        core = self.schemas[resource_type["schema"]]
        extensions = {
            ext["schema"].casefold(): self.schemas[ext["schema"]]
            for ext in resource_type.get("schemaExtensions", [])
            if ext["schema"] in self.schemas
        }
        problems = [
            f"schemas: {uri}"
            for uri in resource["schemas"]
            if uri != core["id"] and uri.casefold() not in extensions
        ]
        for key, value in resource.items():
            if key in COMMON:
                continue
            if key.casefold() in extensions:
                if key not in resource["schemas"]:
                    problems.append(f"{key}: not listed in schemas")
                for sub, sub_value in value.items():
                    declared = _declared(extensions[key.casefold()]["attributes"], sub)
                    problems += _walk(f"{key}:{sub}", declared, sub_value, asked)
            else:
                problems += _walk(key, _declared(core["attributes"], key), value, asked)
        return problems

    def model_reads(self, resource: dict[str, Any]) -> None:
        model = self.provider.model_for(resource["meta"]["resourceType"])
        assert model is not None
        model.model_validate(resource, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _declared(attributes: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((a for a in attributes if a["name"].casefold() == name.casefold()), None)


def _walk(path: str, declared: dict[str, Any] | None, value: Any, asked: frozenset[str]):
    if declared is None:
        return [f"{path}: not declared"]
    returned = declared.get("returned", "default")
    if returned == "never" or (returned == "request" and path.casefold() not in asked):
        return [f"{path}: declared returned {returned}"]
    if declared.get("multiValued") != isinstance(value, list):
        return [f"{path}: multiValued is {declared.get('multiValued')}"]
    if declared["type"] != "complex":
        return []
    problems = []
    for item in value if isinstance(value, list) else [value]:
        for sub, sub_value in item.items():
            sub_declared = _declared(declared.get("subAttributes", []), sub)
            problems += _walk(f"{path}.{sub}", sub_declared, sub_value, asked)
    return problems


@pytest.fixture
def everything(make_scim):
    """People and a group with every attribute the portal keeps, written over SCIM by a
    directory client: a person with a manager, contacts, enterprise data and a group."""
    writer = make_scim(name="HR directory", profile="directory")
    manager = PersonFactory(user_name="boss@example.org")
    body = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": "ada@example.org",
        "externalId": "ext-ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "ignored"},
        "displayName": "Ada Lovelace",
        "title": "Engineer",
        "userType": "Employee",
        "preferredLanguage": "en-GB",
        "active": True,
        "emails": [{"value": "ada@example.org", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}],
        ENTERPRISE: {
            "employeeNumber": "1815",
            "department": "Engineering",
            "costCenter": "CC-1",
            "organization": "Analytical Engines",
            "division": "R&D",
            "manager": {"value": str(manager.pk)},
        },
    }
    created = writer.post("Users", body)
    assert created.status_code == 201, created.content
    group = GroupFactory(display_name="Engineers", external_id="ext-engineers")
    join(group, manager)
    writer.patch(
        f"Groups/{group.pk}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": created.json()["id"]}]}
            ],
        },
    )
    return created.json()["id"], str(group.pk)


def responses(scim: Any, user_id: str, group_id: str) -> list[dict[str, Any]]:
    """Users and Groups as every read and write answers them."""
    found = [
        scim.get(f"Users/{user_id}").json(),
        *scim.get("Users").json()["Resources"],
        scim.get(f"Groups/{group_id}").json(),
        *scim.get("Groups").json()["Resources"],
        scim.post(
            "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "New", "externalId": "x-1"}
        ).json(),
        scim.post(
            "Users",
            {"schemas": [USER_SCHEMA], "userName": "new@example.org", "displayName": "New"},
        ).json(),
    ]
    assert all("meta" in resource for resource in found), found
    return found


@pytest.mark.parametrize("profile", PROFILES)
def test_every_attribute_returned_is_declared_on_schemas(make_scim, everything, profile):
    scim = make_scim(name=f"reader {profile}", profile=profile)
    served = Served(scim)

    found = responses(scim, *everything)

    assert [(r["id"], served.undeclared(r)) for r in found if served.undeclared(r)] == []
    # What the fixture set is there to be checked: the walk saw the nested attributes.
    user = next(r for r in found if r.get("userName") == "ada@example.org")
    assert user["name"]
    assert user["emails"]
    assert user["groups"]
    group = next(r for r in found if r.get("displayName") == "Engineers")
    displays = {member["value"]: member.get("display") for member in group["members"]}
    assert displays[everything[0]] == "Ada Lovelace"


@pytest.mark.parametrize("profile", PROFILES)
def test_models_built_from_schemas_read_every_response(make_scim, everything, profile):
    scim = make_scim(name=f"reader {profile}", profile=profile)
    served = Served(scim)

    for resource in responses(scim, *everything):
        served.model_reads(resource)


@pytest.mark.parametrize("profile", PROFILES)
def test_an_attribute_returned_on_request_only_comes_when_asked(make_scim, everything, profile):
    scim = make_scim(name=f"reader {profile}", profile=profile)
    served = Served(scim)
    user_id = everything[0]

    asked = scim.get(f"Users/{user_id}?attributes=name.formatted").json()

    assert asked["name"] == {"formatted": "Ada Lovelace"}
    assert served.undeclared(asked, asked=frozenset({"name.formatted"}), kind="User") == []
    assert "formatted" not in scim.get(f"Users/{user_id}").json()["name"]


def test_an_undeclared_attribute_is_found(make_scim, everything):
    """The walk itself: what it reports when a response carries more than /Schemas."""
    scim = make_scim(name="reader", profile="minimal")
    served = Served(scim)
    user = scim.get(f"Users/{everything[0]}").json()

    user["name"]["formatted"] = "Ada Lovelace"
    user["title"] = "Engineer"
    user["emails"][0]["display"] = "Ada"

    assert served.undeclared(user) == [
        "name.formatted: declared returned request",
        "emails.display: not declared",
        "title: not declared",
    ]
