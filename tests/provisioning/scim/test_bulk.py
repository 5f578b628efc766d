"""/Bulk: bulkId references, failOnErrors, and the advertised limits enforced."""

import pytest

from provisioning.models import Group, Membership, Person
from tests.provisioning.scim.conftest import GROUP_SCHEMA, USER_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def user(name):
    return {"schemas": [USER_SCHEMA], "userName": name}


def bulk(*operations, **extra):
    return {"schemas": [BULK], "Operations": list(operations), **extra}


def test_a_group_whose_members_were_created_earlier_in_the_request(scim):
    response = scim.post(
        "Bulk",
        bulk(
            {"method": "POST", "path": "/Users", "bulkId": "alice", "data": user("alice")},
            {"method": "POST", "path": "/Users", "bulkId": "bob", "data": user("bob")},
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "team",
                "data": {
                    "schemas": [GROUP_SCHEMA],
                    "displayName": "Team",
                    "members": [{"value": "bulkId:alice"}, {"value": "bulkId:bob"}],
                },
            },
        ),
    )

    assert response.status_code == 200, response.content
    results = response.json()["Operations"]
    assert [r["status"] for r in results] == ["201", "201", "201"]
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]
    team = Group.objects.get()
    people = set(Person.objects.values_list("pk", flat=True))
    assert set(Membership.objects.filter(group=team).values_list("person_id", flat=True)) == people
    assert results[2]["location"].endswith(f"/Groups/{team.pk}")


def test_a_reference_to_a_later_operation_fails_that_operation(scim):
    response = scim.post(
        "Bulk",
        bulk(
            {
                "method": "PATCH",
                "path": "/Users/bulkId:later",
                "data": {"schemas": [], "Operations": []},
            },
        ),
    )

    result = response.json()["Operations"][0]
    assert result["status"] == "409"
    assert result["response"]["scimType"] == "invalidValue"


def test_fail_on_errors_stops_after_that_many_errors(scim):
    response = scim.post(
        "Bulk",
        bulk(
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("dup")},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("DUP")},
            {"method": "POST", "path": "/Users", "bulkId": "c", "data": user("c")},
            failOnErrors=1,
        ),
    )

    results = response.json()["Operations"]
    assert [r["status"] for r in results] == ["201", "409"]
    assert results[1]["response"]["scimType"] == "uniqueness"
    assert not Person.objects.filter(user_name="c").exists()


def test_without_fail_on_errors_every_operation_runs(scim):
    response = scim.post(
        "Bulk",
        bulk(
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("dup")},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("DUP")},
            {"method": "POST", "path": "/Users", "bulkId": "c", "data": user("c")},
        ),
    )

    assert [r["status"] for r in response.json()["Operations"]] == ["201", "409", "201"]


def test_more_operations_than_advertised_is_413(scim, settings):
    settings.SCIM_MAX_BULK_OPERATIONS = 2
    ops = [
        {"method": "POST", "path": "/Users", "bulkId": str(n), "data": user(f"u{n}")}
        for n in range(3)
    ]

    assert_scim_error(scim.post("Bulk", bulk(*ops)), 413)
    assert not Person.objects.exists()


def test_a_payload_over_the_advertised_size_is_413(scim, settings):
    settings.SCIM_MAX_PAYLOAD_SIZE = 200
    op = {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("x" * 300)}

    assert_scim_error(scim.post("Bulk", bulk(op)), 413)


def test_bulk_operations_update_and_delete(scim):
    created = scim.post("Users", user("victim")).json()

    response = scim.post(
        "Bulk",
        bulk(
            {
                "method": "PATCH",
                "path": f"/Users/{created['id']}",
                "version": created["meta"]["version"],
                "data": {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "displayName", "value": "V"}],
                },
            },
            {"method": "DELETE", "path": f"/Users/{created['id']}"},
        ),
    )

    assert [r["status"] for r in response.json()["Operations"]] == ["200", "204"]
    assert Person.objects.get().scim_deleted_at is not None


def test_bulk_cannot_reach_discovery_endpoints(scim):
    response = scim.post("Bulk", bulk({"method": "DELETE", "path": "/Schemas"}))

    assert response.json()["Operations"][0]["status"] == "400"


def test_the_operations_run_as_the_client_authenticated_once_and_are_audited_as_it(
    scim, monkeypatch
):
    from compliance.audit.models import AuditEvent
    from provisioning.scim.auth import ScimTokenAuthentication

    authentications = []
    authenticate = ScimTokenAuthentication.authenticate

    def counted(self, request):
        authentications.append(request.path)
        return authenticate(self, request)

    monkeypatch.setattr(ScimTokenAuthentication, "authenticate", counted)

    response = scim.post(
        "Bulk",
        bulk(
            *(
                {"method": "POST", "path": "/Users", "bulkId": name, "data": user(name)}
                for name in ("ann", "ben", "cal")
            )
        ),
    )

    assert [r["status"] for r in response.json()["Operations"]] == ["201"] * 3
    assert authentications == ["/scim/v2/Bulk"]
    created = AuditEvent.objects.filter(action="person.created")
    assert {event.channel for event in created} == {"scim"}
    assert created.count() == 3
    assert len({event.actor_id for event in created}) == 1
