"""PUT, PATCH and DELETE on /Users: ETags, the leaver path, and the errors."""

import threading

import pytest
from django.db import connections

from compliance.audit.models import AuditEvent
from compliance.outbox.models import OutboxMessage
from provisioning.connectors import services as connector_services
from provisioning.connectors.models import Connector
from provisioning.connectors.tasks import push_person
from provisioning.models import Person
from tests.factories import (
    AccessGrantFactory,
    ApplicationFactory,
    PersonEmailFactory,
    PersonFactory,
    RoleFactory,
    RoleTemplateFactory,
)
from tests.provisioning.scim.conftest import ENTERPRISE, USER_SCHEMA, assert_scim_error, patch_ops

pytestmark = pytest.mark.django_db


def okta_put(person, **changes):
    """Okta updates with a full PUT of what it knows."""
    return {
        "schemas": [USER_SCHEMA],
        "id": str(person.pk),
        "userName": person.user_name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": True, "value": "ada@example.org", "type": "work"}],
        "displayName": "Ada Lovelace",
        "externalId": person.external_id,
        "active": True,
        **changes,
    }


def test_okta_put_replaces_the_agreed_attributes(scim):
    person = PersonFactory(title="Engineer")

    response = scim.put(f"Users/{person.pk}", okta_put(person))

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.given_name, person.display_name) == ("Ada", "Ada Lovelace")
    assert person.title == ""  # agreed and left out of a full replacement: cleared
    assert list(person.emails.values_list("value", flat=True)) == ["ada@example.org"]
    assert response["ETag"] == f'W/"{person.version}"'


def test_put_leaves_attributes_outside_the_agreement_alone(make_scim):
    scim = make_scim(profile="minimal")
    person = PersonFactory(title="Engineer")

    scim.put(f"Users/{person.pk}", okta_put(person))

    person.refresh_from_db()
    assert person.title == "Engineer"


def test_okta_deactivates_through_put_active_false_on_the_leaver_path(scim):
    person = PersonFactory()

    response = scim.put(f"Users/{person.pk}", okta_put(person, active=False))

    assert response.json()["active"] is False
    person.refresh_from_db()
    assert not person.active
    assert person.deactivated_at is not None
    assert AuditEvent.objects.filter(action="person.deactivated").count() == 1


def test_okta_deactivates_through_patch(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "replace", "value": {"active": False}})
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert not person.active


def test_put_changing_the_id_is_400_mutability(scim):
    person = PersonFactory()
    other = "7b3a0c4e-4b0e-4c8e-8a7a-000000000000"

    assert_scim_error(scim.put(f"Users/{person.pk}", okta_put(person, id=other)), 400, "mutability")


def test_patch_changing_the_id_is_400_mutability(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops({"op": "replace", "path": "id", "value": "7b3a0c4e-4b0e-4c8e-8a7a-0"}),
    )

    assert_scim_error(response, 400, "mutability")


def test_put_to_a_user_name_taken_is_409(scim):
    PersonFactory(user_name="taken@example.org")
    person = PersonFactory()

    response = scim.put(f"Users/{person.pk}", okta_put(person, userName="TAKEN@example.org"))

    assert_scim_error(response, 409, "uniqueness")


def test_if_match_with_an_old_version_is_412(scim):
    person = PersonFactory()
    Person.objects.filter(pk=person.pk).update(version=2)

    response = scim.put(f"Users/{person.pk}", okta_put(person), **{"If-Match": 'W/"1"'})

    assert_scim_error(response, 412)
    person.refresh_from_db()
    assert person.given_name != "Ada"


def test_if_match_with_the_current_version_applies(scim):
    person = PersonFactory()

    response = scim.put(f"Users/{person.pk}", okta_put(person), **{"If-Match": 'W/"1"'})

    assert response.status_code == 200
    assert response["ETag"] == 'W/"2"'


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_puts_never_lose_an_update_silently(make_scim):
    scim = make_scim()
    person = PersonFactory()
    barrier = threading.Barrier(2)
    statuses = []

    def put(name):
        barrier.wait()
        statuses.append(
            scim.put(f"Users/{person.pk}", okta_put(person, displayName=name)).status_code
        )
        connections.close_all()

    threads = [threading.Thread(target=put, args=(name,)) for name in ("One", "Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    person.refresh_from_db()
    # Without If-Match both apply in turn (no 412), and each change is counted.
    applied = statuses.count(200)
    assert statuses == [200, 200]
    assert person.version == 1 + applied
    assert AuditEvent.objects.filter(action="person.updated").count() == applied


def test_delete_takes_the_leaver_path_and_hides_the_user(scim):
    person = PersonFactory()

    response = scim.delete(f"Users/{person.pk}")

    assert response.status_code == 204
    assert_scim_error(scim.get(f"Users/{person.pk}"), 404)
    person.refresh_from_db()
    assert not person.active
    assert person.scim_deleted_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"person.deactivated", "person.deleted"} <= actions
    assert scim.get("Users").json()["totalResults"] == 0


def test_delete_of_an_unknown_user_is_404(scim):
    assert_scim_error(scim.delete("Users/7b3a0c4e-4b0e-4c8e-8a7a-000000000000"), 404)


# --- Entra ID's PATCH forms, one by one ------------------------------------------------


def test_entra_capitalised_replace_with_active_as_a_string(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops({"op": "Replace", "path": "active", "value": "False"}),
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert not person.active


def test_entra_no_path_value_with_dotted_keys_and_extension_urns(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops(
            {
                "op": "Add",
                "value": {
                    "name.givenName": "Grace",
                    "name.familyName": "Hopper",
                    f"{ENTERPRISE}:department": "Navy",
                    "title": "Rear Admiral",
                },
            }
        ),
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.given_name, person.family_name) == ("Grace", "Hopper")
    assert (person.department, person.title) == ("Navy", "Rear Admiral")


def test_entra_add_through_a_filter_matching_nothing_creates_the_entry(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops(
            {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+44 20 1"}
        ),
    )

    assert response.status_code == 200, response.content
    assert list(person.phone_numbers.values_list("type", "value")) == [("mobile", "+44 20 1")]


def test_entra_replace_of_a_work_email_through_a_filter(scim):
    person = PersonFactory()
    PersonEmailFactory(person=person, value="old@example.org")

    scim.patch(
        f"Users/{person.pk}",
        patch_ops(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.org"}
        ),
    )

    assert list(person.emails.values_list("value", flat=True)) == ["new@example.org"]


def test_entra_sets_the_manager_by_bare_id(scim):
    person, manager = PersonFactory(), PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops({"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(manager.pk)}),
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.manager == manager


def test_a_manager_that_does_not_exist_is_400_invalid_value(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops(
            {
                "op": "Add",
                "path": f"{ENTERPRISE}:manager",
                "value": "7b3a0c4e-4b0e-4c8e-8a7a-000000000000",
            }
        ),
    )

    assert_scim_error(response, 400, "invalidValue")


def test_a_patch_whose_second_operation_fails_changes_nothing(scim):
    person = PersonFactory(display_name="Before")

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops(
            {"op": "replace", "path": "displayName", "value": "After"},
            {"op": "replace", "path": "active", "value": "perhaps"},
        ),
    )

    assert_scim_error(response, 400, "invalidValue")
    person.refresh_from_db()
    assert person.display_name == "Before"


def test_a_patch_with_a_bad_path_is_400_invalid_path(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "replace", "path": "name[", "value": "x"})
    )

    assert_scim_error(response, 400, "invalidPath")


def test_a_patch_with_an_unknown_op_is_400(scim):
    person = PersonFactory()

    response = scim.patch(f"Users/{person.pk}", patch_ops({"op": "merge", "value": {}}))

    assert_scim_error(response, 400, "invalidValue")


def test_a_remove_without_a_path_is_400_no_target(scim):
    person = PersonFactory()

    response = scim.patch(f"Users/{person.pk}", patch_ops({"op": "remove"}))

    assert_scim_error(response, 400, "noTarget")


def test_a_value_too_long_for_its_field_is_400_invalid_value(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "replace", "path": "title", "value": "x" * 300})
    )

    assert_scim_error(response, 400, "invalidValue")


def test_entra_add_on_an_existing_work_email_replaces_its_value(scim):
    # Entra sends "Add" even when the user already has a work e-mail.
    person = PersonFactory()
    PersonEmailFactory(person=person, value="old@example.org")

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops(
            {"op": "Replace", "path": "title", "value": "tester"},
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "new@example.org"},
        ),
    )

    assert response.status_code == 200, response.content
    assert list(person.emails.values_list("value", flat=True)) == ["new@example.org"]


def test_entra_removes_the_manager(scim):
    person = PersonFactory(manager=PersonFactory())

    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "Remove", "path": f"{ENTERPRISE}:manager"})
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.manager is None


def test_a_no_path_value_with_the_whole_extension_object(scim):
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}",
        patch_ops({"op": "replace", "value": {ENTERPRISE: {"costCenter": "CC-7"}}}),
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.cost_center == "CC-7"
    assert person.department == "Engineering"  # sub-attributes not named stay (RFC 7644)


def test_the_answer_to_a_create_is_what_a_get_shows_afterwards(scim):
    created = scim.post(
        "Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "grace",
            "emails": [{"value": "grace@example.org", "type": "work", "primary": True}],
        },
    )

    fetched = scim.get(f"Users/{created.json()['id']}")

    assert created.json() == fetched.json()
    assert created["ETag"] == fetched["ETag"]


@pytest.mark.parametrize("active", [True, False])
def test_the_answer_to_a_replace_is_what_a_get_shows_afterwards(scim, active):
    person = PersonFactory(active=not active)

    replaced = scim.put(f"Users/{person.pk}", okta_put(person, title="Lead", active=active))

    fetched = scim.get(f"Users/{person.pk}")
    assert replaced.status_code == 200
    assert replaced.json() == fetched.json()
    assert replaced["ETag"] == fetched["ETag"]


@pytest.fixture
def slack(actor):
    """An enabled connector, for the pushes a change queues in the outbox."""
    return connector_services.connector_create(
        actor=actor,
        connector=Connector(
            application_id=ApplicationFactory(name="Slack").pk,
            base_url="https://slack.example/scim/v2",
            attributes=["userName", "active", "title"],
            scope=Connector.Scope.EVERYONE,
        ),
        secret="downstream-token",
    )


def pushes_of(connector, person):
    return OutboxMessage.objects.filter(
        task=push_person.name, args=[str(connector.pk), str(person.pk)]
    ).count()


def test_a_returner_whose_attributes_and_access_change_is_pushed_once(scim, slack):
    RoleTemplateFactory(department="Sales", roles=[RoleFactory()])
    person = PersonFactory(active=False, title="Engineer", department="Sales")

    # The attributes change (person_update), the person comes back (person_set_active)
    # and gets the template's grant (access): one push reads the outcome of all three.
    body = okta_put(person, title="Lead", **{ENTERPRISE: {"department": "Sales"}})
    body["schemas"] = [USER_SCHEMA, ENTERPRISE]
    response = scim.put(f"Users/{person.pk}", body)

    assert response.status_code == 200, response.content
    assert person.grants.filter(status="active").count() == 1
    assert pushes_of(slack, person) == 1


def test_a_leaver_holding_grants_is_pushed_once(scim, slack):
    person = PersonFactory()
    AccessGrantFactory(person=person)

    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "replace", "path": "active", "value": False})
    )

    assert response.status_code == 200, response.content
    assert person.grants.filter(status="active").count() == 0
    assert pushes_of(slack, person) == 1
