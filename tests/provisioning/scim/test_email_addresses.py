"""Every address the portal stores can go out over SCIM (provisioning.addresses): the
services refuse one SCIM's EmailStr refuses, and one stored before that rule is left out
of an answer instead of failing it."""

import io
import logging

import pytest
from django.core.management import CommandError, call_command

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
    with pytest.raises(InvalidValueError, match="not a valid e-mail address"):
        persons.person_create(
            actor=actor,
            fields={"user_name": "ops"},
            emails=[Contact("ops@localhost", primary=True)],
        )

    assert not Person.objects.exists()


def test_the_check_command_names_the_people_whose_addresses_scim_cannot_carry(legacy):
    fine = PersonFactory(user_name="ada")
    PersonEmail.objects.create(person_id=fine.pk, value="ada@example.org")
    out = io.StringIO()

    with pytest.raises(CommandError, match="SCIM cannot carry: 1, held by the 1 people"):
        call_command("email_addresses_check", stdout=out)

    assert out.getvalue().split() == [str(legacy.pk)]
    assert "corp.local" not in out.getvalue()


def test_the_check_command_passes_when_every_address_can_go_out(legacy):
    PersonEmail.objects.filter(value="ops@corp.local").update(value="ops@corp.example.org")
    out = io.StringIO()

    call_command("email_addresses_check", stdout=out)

    assert "Every stored e-mail address can go out over SCIM." in out.getvalue()
