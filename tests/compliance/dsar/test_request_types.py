"""Every request type, worked by a privacy officer in the admin: logged, fulfilled on its
own confirmation page, closed. Correction changes the person and pushes it; restriction
withholds and refuses; an objection records its decision and grounds and offers what
follows; the CCPA choices are recorded on the person."""

import pytest
from django.urls import reverse

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest, Status
from compliance.outbox.models import OutboxMessage
from portal import roles
from provisioning.connectors.models import Connector
from provisioning.models import Person
from tests.factories import ApplicationFactory, PersonEmailFactory

pytestmark = pytest.mark.django_db


def step(request, name):
    return reverse("admin:compliance_dsar_step", args=[request.pk, name])


def page(request):
    return reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])


def verified(actor, type, regulation="gdpr", **person_fields):
    person = PersonEmailFactory(person__given_name="Ada", **person_fields).person
    request = services.request_receive(actor=actor, regulation=regulation, type=type, person=person)
    return services.request_verify(actor=actor, request=request, method="hr-record")


def personal(action):
    event = AuditEvent.objects.get(action=action)
    return event, crypto.decrypt(event.subject_id, event.ciphertext)


@pytest.fixture
def slack():
    """An enabled connector: a change to a person is a push message in the outbox."""
    return Connector.objects.create(
        application_id=ApplicationFactory.create(name="Slack").pk,
        base_url="https://slack.invalid/scim/v2",
        attributes=["userName", "active", "name.givenName", "name.familyName"],
        scope=Connector.Scope.EVERYONE,
    )


def pushes_of(person):
    return OutboxMessage.objects.filter(task__endswith="push_person", args__1=str(person.pk))


# --- Correction ------------------------------------------------------------------------


def test_the_correction_page_shows_named_fields_filled_with_what_is_held(officer, actor):
    request = verified(actor, "correction")

    response = officer.get(step(request, "correct"))

    html = response.content.decode()
    assert response.status_code == 200
    for named in ('name="given_name"', 'value="Ada"', 'name="family_name"', 'name="department"'):
        assert named in html
    assert "subject_identifiers" not in html


def test_a_correction_changes_the_person_records_what_changed_and_pushes_it(officer, actor, slack):
    request = verified(actor, "correction")
    person = request.person
    held = officer.get(step(request, "correct")).context["form"].initial

    response = officer.post(
        step(request, "correct"), {**held, "family_name": "Lovelace-King", "confirm": "on"}
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.family_name == "Lovelace-King"
    request.refresh_from_db()
    assert request.status == Status.READY
    event, details = personal("dsar.corrected")
    assert event.data["fields"] == ["family_name"]
    assert details["after"] == {"family_name": "Lovelace-King"}
    assert "Lovelace-King" not in str(event.data)  # the values only encrypted
    assert AuditEvent.objects.filter(action="person.updated", subject_id=str(person.pk)).exists()
    assert pushes_of(person).exists()


def test_a_correction_that_changes_nothing_is_a_form_error(officer, actor):
    request = verified(actor, "correction")
    held = officer.get(step(request, "correct")).context["form"].initial

    response = officer.post(step(request, "correct"), {**held, "confirm": "on"})

    assert response.status_code == 200
    assert "Change the attributes the person says are wrong." in response.content.decode()
    assert not AuditEvent.objects.filter(action="dsar.corrected").exists()


def test_a_correction_no_longer_offers_an_export(officer, actor):
    request = verified(actor, "correction")

    html = officer.get(page(request)).content.decode()

    assert step(request, "correct") in html
    assert step(request, "export") not in html


def test_a_corrected_request_is_closed_from_its_page(officer, actor):
    request = verified(actor, "correction")
    held = officer.get(step(request, "correct")).context["form"].initial
    officer.post(step(request, "correct"), {**held, "title": "Analyst", "confirm": "on"})

    officer.post(step(request, "close"), {"confirm": "on"})

    request.refresh_from_db()
    assert (request.status, request.outcome) == (Status.CLOSED, "fulfilled")


# --- Restriction -----------------------------------------------------------------------


def restricted(officer, actor):
    request = verified(actor, "restriction")
    response = officer.post(
        step(request, "restrict"),
        {"ground": "accuracy contested (Art. 18(1)(a))", "confirm": "on"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    return request


def test_the_restriction_confirmation_names_the_person_and_what_follows(officer, actor):
    request = verified(actor, "restriction")

    html = officer.get(step(request, "restrict")).content.decode()

    assert str(request.person) in html
    assert "Nothing about them is pushed" in html


def test_restricting_marks_the_person_and_records_both_events(officer, actor):
    request = restricted(officer, actor)

    person = Person.objects.get(pk=request.person_id)
    assert person.restricted_at is not None
    assert request.status == Status.READY
    assert AuditEvent.objects.filter(action="person.restricted").count() == 1
    _, details = personal("dsar.restricted")
    assert details == {"reason": "accuracy contested (Art. 18(1)(a))"}


def test_a_restricted_persons_page_has_a_banner_linking_to_the_lift(officer, actor):
    request = restricted(officer, actor)

    html = officer.get(
        reverse("admin:provisioning_person_change", args=[request.person_id])
    ).content.decode()

    assert 'id="privacy-banner"' in html
    assert "Processing restricted since" in html
    assert page(request) in html


def test_the_restriction_is_lifted_from_its_closed_request(officer, actor, slack):
    request = restricted(officer, actor)
    officer.post(step(request, "close"), {"confirm": "on"})

    response = officer.post(
        step(request, "lift-restriction"), {"reason": "accuracy confirmed", "confirm": "on"}
    )

    assert response.status_code == 302
    person = Person.objects.get(pk=request.person_id)
    assert person.restricted_at is None
    _, details = personal("person.restriction_lifted")
    assert details == {"reason": "accuracy confirmed"}
    assert pushes_of(person).exists()  # the applications catch up
    html = officer.get(
        reverse("admin:provisioning_person_change", args=[person.pk])
    ).content.decode()
    assert 'id="privacy-banner"' not in html


def test_lifting_is_not_offered_once_lifted(officer, actor):
    request = restricted(officer, actor)
    officer.post(step(request, "lift-restriction"), {"reason": "confirmed", "confirm": "on"})

    response = officer.post(step(request, "lift-restriction"), {"reason": "again", "confirm": "on"})

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="person.restriction_lifted").count() == 1


def test_a_privacy_officer_still_corrects_a_restricted_person(officer, actor):
    first = restricted(officer, actor)
    correction = services.request_verify(
        actor=actor,
        request=services.request_receive(
            actor=actor, regulation="gdpr", type="correction", person=first.person
        ),
        method="hr-record",
    )
    held = officer.get(step(correction, "correct")).context["form"].initial

    response = officer.post(
        step(correction, "correct"), {**held, "given_name": "Augusta", "confirm": "on"}
    )

    assert response.status_code == 302
    assert Person.objects.get(pk=first.person_id).given_name == "Augusta"


def test_a_restriction_is_refused_under_the_ccpa(officer, actor):
    person = PersonEmailFactory().person

    response = officer.post(
        reverse("admin:compliance_datasubjectrequest_add"),
        {"regulation": "ccpa", "type": "restriction", "person": person.pk},
    )

    assert response.status_code == 200
    assert "Only GDPR gives this right." in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


# --- Objection -------------------------------------------------------------------------


def test_rejecting_an_objection_needs_its_compelling_grounds(officer, actor):
    request = verified(actor, "objection")

    response = officer.post(
        step(request, "decide-objection"), {"decision": "rejected", "grounds": "", "confirm": "on"}
    )

    assert response.status_code == 200
    assert "State the compelling legitimate grounds" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.VERIFIED


def test_a_rejected_objection_records_the_decision_and_its_grounds(officer, actor):
    request = verified(actor, "objection")
    grounds = "Access records are needed to investigate a security incident (case 42)."

    officer.post(
        step(request, "decide-objection"),
        {"decision": "rejected", "grounds": grounds, "confirm": "on"},
    )

    request.refresh_from_db()
    assert (request.objection_decision, request.status) == ("rejected", Status.READY)
    event, details = personal("dsar.objection_decided")
    assert event.data["decision"] == "rejected"
    assert details == {"grounds": grounds}
    assert step(request, "follow-up") not in officer.get(page(request)).content.decode()


def test_an_upheld_objection_offers_a_restriction_or_an_erasure(officer, actor):
    request = verified(actor, "objection")
    officer.post(
        step(request, "decide-objection"), {"decision": "upheld", "grounds": "", "confirm": "on"}
    )
    assert step(request, "follow-up") in officer.get(page(request)).content.decode()

    response = officer.post(step(request, "follow-up"), {"type": "deletion", "confirm": "on"})

    assert response.status_code == 302
    erasure = DataSubjectRequest.objects.get(type="deletion")
    assert (erasure.person_id, erasure.status) == (request.person_id, Status.VERIFIED)
    assert step(erasure, "erase") in officer.get(page(erasure)).content.decode()


# --- CCPA opt-out of sale or sharing, limit on sensitive personal information ------------


@pytest.mark.parametrize(
    ("type", "field"),
    [("sale-opt-out", "sale_opt_out_at"), ("limit-sensitive", "limit_sensitive_at")],
)
def test_a_ccpa_choice_is_recorded_without_verification_and_closed(officer, actor, type, field):
    person = PersonEmailFactory().person
    request = services.request_receive(actor=actor, regulation="ccpa", type=type, person=person)

    response = officer.post(step(request, "record-choice"), {"confirm": "on"})
    officer.post(step(request, "close"), {"confirm": "on"})

    assert response.status_code == 302
    person.refresh_from_db()
    assert getattr(person, field) is not None
    assert AuditEvent.objects.get(action="person.preference_set").data == {"preference": type}
    assert AuditEvent.objects.filter(action="dsar.preference_recorded").exists()
    request.refresh_from_db()
    assert request.status == Status.CLOSED


def test_a_recorded_choice_shows_on_the_persons_page(officer, actor):
    person = PersonEmailFactory().person
    request = services.request_receive(
        actor=actor, regulation="ccpa", type="sale-opt-out", person=person
    )
    officer.post(step(request, "record-choice"), {"confirm": "on"})

    html = officer.get(reverse("admin:provisioning_person_change", args=[person.pk]))

    assert "Opted out of sale or sharing since" in html.content.decode()


def test_an_auditor_sees_no_step_of_the_new_types(staff_client_for, actor):
    client, _ = staff_client_for(roles.AUDITOR)
    request = verified(actor, "restriction")

    response = client.post(step(request, "restrict"), {"ground": "x", "confirm": "on"})

    assert response.status_code == 403
    assert Person.objects.get(pk=request.person_id).restricted_at is None
