"""Every address the portal stores can go out over SCIM (provisioning.addresses): the
services refuse one SCIM's EmailStr refuses, and one stored before that rule is left out
of an answer instead of failing it."""

import logging

import pytest

from provisioning.errors import InvalidValueError
from provisioning.models import Person, PersonEmail
from provisioning.services import persons
from provisioning.services.persons import Contact
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def legacy():
    """A person with an address stored before the rule held (create() runs no validator)."""
    person = PersonFactory(user_name="ops")
    PersonEmail.objects.create(person_id=person.pk, value="ops@corp.local", primary=True)
    PersonEmail.objects.create(person_id=person.pk, value="Ops@Corp.Example.ORG", type="home")
    return person


@pytest.mark.parametrize("query", ["", "?attributes=emails"])
def test_an_address_scim_cannot_carry_is_left_out_of_the_user(scim, legacy, caplog, query):
    with caplog.at_level(logging.WARNING, logger="provisioning.scim.mapping"):
        response = scim.get(f"Users/{legacy.pk}{query}")

    assert response.status_code == 200
    assert response.json()["emails"] == [
        {"value": "Ops@corp.example.org", "type": "home", "primary": False}
    ]
    assert str(legacy.pk) in caplog.text
    assert "corp.local" not in caplog.text


def test_a_list_page_answers_with_everyone_else_s_addresses(scim, legacy):
    other = PersonFactory(user_name="ada")
    PersonEmail.objects.create(person_id=other.pk, value="ada@example.org", primary=True)

    response = scim.get("Users?count=10")

    assert response.status_code == 200
    emails = {r["userName"]: r.get("emails") for r in response.json()["Resources"]}
    assert emails["ada"] == [{"value": "ada@example.org", "type": "work", "primary": True}]
    assert [e["value"] for e in emails["ops"]] == ["Ops@corp.example.org"]


def test_the_services_refuse_an_address_scim_cannot_carry(actor):
    with pytest.raises(InvalidValueError, match="not a valid email address"):
        persons.person_create(
            actor=actor,
            fields={"user_name": "ops"},
            emails=[Contact("ops@localhost", primary=True)],
        )

    assert not Person.objects.exists()
