import pytest

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from provisioning.errors import InvalidValueError, UniquenessError
from provisioning.models import Person
from provisioning.services.persons import Contact, person_create

pytestmark = pytest.mark.django_db


def test_creates_the_person_with_contacts_and_an_encrypted_event(actor):
    person = person_create(
        actor=actor,
        fields={"user_name": "ada.okafor", "given_name": "Ada", "department": "Sales"},
        emails=[Contact("ada@example.org", "work", primary=True)],
        phones=[Contact("+44 20 7946 0000", "mobile")],
    )

    assert person.emails.get().value == "ada@example.org"
    assert person.phone_numbers.get().type == "mobile"
    event = AuditEvent.objects.get(action="person.created")
    assert event.subject_id == str(person.pk)
    assert "ada" not in event.ciphertext.lower()  # personal data only encrypted
    details = crypto.decrypt(event.subject_id, event.ciphertext)
    assert details is not None
    assert details["after"]["given_name"] == "Ada"
    assert details["after"]["emails"] == ["ada@example.org"]


def test_user_name_is_unique_regardless_of_case(actor):
    person_create(actor=actor, fields={"user_name": "Ada.Okafor"})

    with pytest.raises(UniquenessError) as raised:
        person_create(actor=actor, fields={"user_name": "ada.OKAFOR"})

    assert raised.value.attribute == "userName"
    assert Person.objects.count() == 1


def test_external_id_is_unique(actor):
    person_create(actor=actor, fields={"user_name": "a", "external_id": "E1"})

    with pytest.raises(UniquenessError) as raised:
        person_create(actor=actor, fields={"user_name": "b", "external_id": "E1"})

    assert raised.value.attribute == "externalId"


def test_two_primary_emails_are_refused_and_nothing_is_written(actor):
    with pytest.raises(InvalidValueError):
        person_create(
            actor=actor,
            fields={"user_name": "a"},
            emails=[Contact("a@example.org", primary=True), Contact("b@example.org", primary=True)],
        )

    assert not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_attribute_is_refused(actor):
    with pytest.raises(InvalidValueError):
        person_create(actor=actor, fields={"user_name": "a", "shoe_size": 44})
