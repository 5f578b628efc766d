"""Each client sends, reads and sees advertised only its agreed attributes."""

import pytest
from django.core import checks

from compliance import scim_agreements
from compliance.audit.models import AuditEvent
from provisioning.models import Person
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import ENTERPRISE, USER_SCHEMA, assert_scim_error, patch_ops

pytestmark = pytest.mark.django_db

WITH_ADDRESS = {
    "schemas": [USER_SCHEMA],
    "userName": "ada@example.org",
    "displayName": "Ada",
    "addresses": [{"type": "work", "streetAddress": "1 Analytical Row"}],
}


def test_strict_mode_refuses_an_unagreed_attribute_and_names_it(scim):
    response = scim.post("Users", WITH_ADDRESS)

    body = assert_scim_error(response, 400, "invalidValue")
    assert "addresses" in body["detail"]
    assert not Person.objects.exists()


def test_strict_mode_refuses_an_unagreed_attribute_in_a_patch_value(make_scim):
    """A path naming it is refused as an unknown path (test_agreed_reads)."""
    scim = make_scim(profile="minimal")
    person = PersonFactory()

    response = scim.patch(
        f"Users/{person.pk}", patch_ops({"op": "add", "value": {"title": "Boss"}})
    )

    body = assert_scim_error(response, 400, "invalidValue")
    assert "title" in body["detail"]


def test_drop_mode_drops_the_attribute_and_records_its_name_only(make_scim):
    scim = make_scim(mode="drop")

    response = scim.post("Users", WITH_ADDRESS)

    assert response.status_code == 201, response.content
    assert "addresses" not in response.json()
    dropped = AuditEvent.objects.get(action="scim.attribute_dropped")
    assert dropped.data == {"attribute": "addresses", "resourceType": "User"}
    assert "Analytical" not in str(dropped.data)
    assert not dropped.ciphertext


def test_reads_show_only_the_agreed_attributes(make_scim):
    scim = make_scim(profile="minimal")
    person = PersonFactory(title="Engineer", department="Research")

    body = scim.get(f"Users/{person.pk}").json()

    assert "title" not in body
    assert ENTERPRISE not in body
    assert body["displayName"] == person.display_name


def test_schemas_advertise_exactly_the_agreed_set(make_scim):
    scim = make_scim(profile="minimal")

    body = scim.get("Schemas").json()

    user = next(s for s in body["Resources"] if s["id"] == USER_SCHEMA)
    names = {a["name"] for a in user["attributes"]}
    assert names == {"externalId", "userName", "name", "displayName", "active", "emails", "groups"}
    name = next(a for a in user["attributes"] if a["name"] == "name")
    # formatted is derived from the agreed parts, so it discloses nothing more.
    assert {s["name"] for s in name["subAttributes"]} == {"formatted", "givenName", "familyName"}
    assert ENTERPRISE not in {s["id"] for s in body["Resources"]}


def test_schemas_for_the_directory_profile_include_the_enterprise_extension(scim):
    body = scim.get("Schemas").json()

    enterprise = next(s for s in body["Resources"] if s["id"] == ENTERPRISE)
    assert {a["name"] for a in enterprise["attributes"]} == {
        "employeeNumber",
        "department",
        "costCenter",
        "organization",
        "division",
        "manager",
    }


def test_an_agreement_naming_an_undeclared_attribute_fails_the_check(monkeypatch):
    bad = scim_agreements.Agreement("bad", "", frozenset({"userName", "addresses"}))
    monkeypatch.setitem(scim_agreements.AGREEMENTS, "bad", bad)

    errors = [e for e in checks.run_checks() if e.id == "compliance.E002"]

    assert len(errors) == 1
    assert "addresses" in errors[0].msg


def test_the_shipped_agreements_pass_the_check():
    assert not [e for e in checks.run_checks() if e.id == "compliance.E002"]


CUSTOM = "urn:ietf:params:scim:schemas:extension:custom:2.0:User"
WITH_CUSTOM_EXTENSION = {
    "schemas": [USER_SCHEMA, CUSTOM],
    "userName": "joe@example.org",
    CUSTOM: {"worksiteId": "180"},
}


def test_strict_mode_names_an_attribute_of_an_unknown_extension(scim):
    response = scim.post("Users", WITH_CUSTOM_EXTENSION)

    body = assert_scim_error(response, 400, "invalidValue")
    assert f"{CUSTOM}:worksiteId" in body["detail"]


def test_drop_mode_drops_an_unknown_extension_and_records_it(make_scim):
    scim = make_scim(mode="drop")

    response = scim.post("Users", WITH_CUSTOM_EXTENSION)

    assert response.status_code == 201, response.content
    dropped = AuditEvent.objects.get(action="scim.attribute_dropped")
    assert dropped.data["attribute"] == f"{CUSTOM}:worksiteId"


def test_the_formatted_name_is_built_from_agreed_parts_only(make_scim):
    scim = make_scim(profile="minimal")
    person = PersonFactory(given_name="Ada", middle_name="King", family_name="Lovelace")

    body = scim.get(f"Users/{person.pk}?attributes=name.formatted").json()

    assert body["name"]["formatted"] == "Ada Lovelace"
