"""A correction request corrects the person's e-mail addresses and phone numbers from the
correction page: change, add, remove, choose the primary. Through the person service
(recorded, pushed downstream), with the values before and after encrypted in the audit
trail, and with form errors in plain words."""

import pytest
from django.urls import reverse

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from compliance.dsar import services
from compliance.dsar.models import Status
from compliance.outbox.models import OutboxMessage
from provisioning.connectors.models import Connector
from provisioning.models import PersonEmail, PersonPhone
from tests.factories import ApplicationFactory, PersonEmailFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def correction(actor):
    person = PersonFactory.create()
    PersonEmailFactory(person=person, value="ada@example.com", primary=True)
    PersonPhone.objects.create(person=person, value="+44 20 7946 0000", type="work")
    request = services.request_receive(
        actor=actor, regulation="gdpr", type="correction", person=person
    )
    return services.request_verify(actor=actor, request=request, method="hr-record")


@pytest.fixture
def slack():
    return Connector.objects.create(
        application_id=ApplicationFactory.create(name="Slack").pk,
        base_url="https://slack.invalid/scim/v2",
        attributes=["userName", "active", "emails"],
        scope=Connector.Scope.EVERYONE,
    )


def url(request):
    return reverse("admin:compliance_dsar_step", args=[request.pk, "correct"])


def post(officer, request, **changes):
    held = officer.get(url(request)).context["form"].initial
    return officer.post(url(request), {**held, **changes, "confirm": "on"})


def contacts(model, person):
    return list(
        model.objects.filter(person=person)
        .order_by("-primary", "value")
        .values_list("value", "type", "primary")
    )


def test_the_correction_page_lists_the_contacts_held(officer, correction):
    html = officer.get(url(correction)).content.decode()

    assert 'name="email_0"' in html
    assert 'value="ada@example.com"' in html
    assert 'name="phone_0"' in html
    assert 'name="email_new"' in html
    assert 'name="email_primary"' in html


def test_changing_an_address_corrects_it_records_it_and_pushes_it(officer, correction, slack):
    response = post(officer, correction, email_0="ada.lovelace@example.com")

    assert response.status_code == 302
    assert contacts(PersonEmail, correction.person) == [("ada.lovelace@example.com", "work", True)]
    event = AuditEvent.objects.get(action="dsar.corrected")
    assert event.data["fields"] == ["emails"]
    details = crypto.decrypt(event.subject_id, event.ciphertext)
    assert details is not None
    assert details["before"] == {"emails": ["ada@example.com (work, primary)"]}
    assert details["after"] == {"emails": ["ada.lovelace@example.com (work, primary)"]}
    assert "ada.lovelace" not in str(event.data)
    updated = AuditEvent.objects.get(action="person.updated", subject_id=str(correction.person_id))
    assert updated.data["fields"] == ["emails"]
    assert OutboxMessage.objects.filter(
        task__endswith="push_person", args__1=str(correction.person_id)
    ).exists()
    correction.refresh_from_db()
    assert correction.status == Status.READY


def test_adding_a_phone_and_making_it_primary(officer, correction):
    post(
        officer,
        correction,
        phone_new="+44 7700 900123",
        phone_new_type="mobile",
        phone_primary="new",
    )

    assert contacts(PersonPhone, correction.person) == [
        ("+44 7700 900123", "mobile", True),
        ("+44 20 7946 0000", "work", False),
    ]


def test_removing_an_address_and_moving_the_primary(officer, correction):
    PersonEmail.objects.create(person=correction.person, value="ada@home.example", type="home")

    response = post(officer, correction, email_0="", email_primary="1")

    assert response.status_code == 302
    assert contacts(PersonEmail, correction.person) == [("ada@home.example", "home", True)]


def test_removing_a_phone(officer, correction):
    post(officer, correction, phone_0="")

    assert contacts(PersonPhone, correction.person) == []


def test_an_invalid_address_is_a_plain_form_error(officer, correction):
    response = post(officer, correction, email_new="not an address")

    assert response.status_code == 200
    (error,) = response.context["form"].errors["email_new"]
    assert error.startswith("This is not a valid e-mail address.")
    assert not AuditEvent.objects.filter(action="dsar.corrected").exists()


def test_removing_the_primary_without_choosing_another_is_refused_in_plain_words(
    officer, correction
):
    PersonEmail.objects.create(person=correction.person, value="ada@home.example", type="home")

    response = post(officer, correction, email_0="")

    assert response.status_code == 200
    assert response.context["form"].errors["email_primary"] == [
        "You removed the primary e-mail address: choose another one as primary, or no primary."
    ]
    assert contacts(PersonEmail, correction.person)[0] == ("ada@example.com", "work", True)


def test_the_same_address_twice_is_refused_in_plain_words(officer, correction):
    response = post(officer, correction, email_new="ADA@example.com", email_new_type="work")

    assert response.status_code == 200
    assert "ADA@example.com is listed twice as a work e-mail address; keep it once." in (
        response.content.decode()
    )
    assert len(contacts(PersonEmail, correction.person)) == 1


def test_a_new_primary_with_no_value_is_refused(officer, correction):
    response = post(officer, correction, email_primary="new")

    assert response.status_code == 200
    assert response.context["form"].errors["email_new"] == [
        "Give the new e-mail address to make it the primary one."
    ]
