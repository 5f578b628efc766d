"""An erasure sticks in the admin too: HR adding or onboarding a hire under an erased
identity gets a form error (and the privacy officers a finding); a privacy officer lifts
the block for a genuine rehire, with a recorded reason."""

import pytest
from django.urls import reverse

from compliance.audit.crypto import decrypt
from compliance.audit.models import AuditEvent
from compliance.dsar import services
from compliance.dsar.models import ErasureLedgerEntry
from compliance.dsar.tasks import dsar_erase
from compliance.incidents.models import Incident
from portal import roles
from provisioning.models import Person
from provisioning.services import persons
from tests.factories import RoleFactory, RoleTemplateFactory
from tests.provisioning.test_admin_person import ADD, form

pytestmark = pytest.mark.django_db

REFUSED = "dsar.erased_identity_refused"
ONBOARD = reverse("admin:provisioning_onboard")


@pytest.fixture
def erased(actor):
    person = persons.person_create(
        actor=actor,
        fields={"user_name": "new.hire", "given_name": "New", "employee_number": "E-77"},
        emails=[persons.Contact("new.hire@example.org", primary=True)],
    )
    request = services.request_receive(
        actor=actor, regulation="gdpr", type="deletion", person=person
    )
    services.request_verify(actor=actor, request=request, method="hr-record")
    dsar_erase.delay(str(request.pk)).get()
    return person


def test_adding_a_person_under_an_erased_user_name_is_a_form_error(staff_client_for, erased):
    client, _ = staff_client_for(roles.HR)

    response = client.post(ADD, form(**{"emails-0-value": "fresh@example.org"}))

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.non_field_errors())
    assert "erased at the data subject" in errors
    assert not Person.objects.filter(user_name="new.hire").exists()
    assert AuditEvent.objects.filter(action=REFUSED, channel="admin").count() == 1
    assert Incident.objects.filter(kind="erased-identity-returned", status="open").exists()


def test_adding_a_person_with_an_erased_email_is_a_form_error(staff_client_for, erased):
    client, _ = staff_client_for(roles.HR)

    response = client.post(ADD, form(user_name="someone.new"))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "erased at the data subject" in str(formset.non_form_errors())
    assert not Person.objects.filter(user_name="someone.new").exists()
    assert AuditEvent.objects.filter(action=REFUSED).exists()


def test_onboarding_an_erased_hire_is_a_form_error(staff_client_for, erased):
    template = RoleTemplateFactory(department="Engineering", roles=[RoleFactory()])
    client, _ = staff_client_for(roles.HR)

    response = client.post(
        ONBOARD,
        {"template": template.pk, "user_name": "NEW.HIRE", "action": "Confirm"},
    )

    assert response.status_code == 200
    assert "erased at the data subject" in str(response.context["form"].errors)
    assert not Person.objects.filter(user_name__iexact="new.hire").exists()
    assert AuditEvent.objects.filter(action=REFUSED).exists()


def lift_url(incident):
    return reverse("admin:compliance_finding_lift", args=[incident.pk])


def refused_once(client):
    client.post(ADD, form(**{"emails-0-value": "fresh@example.org"}))
    return Incident.objects.get(kind="erased-identity-returned", status="open")


def test_a_privacy_officer_lifts_the_block_for_a_rehire(staff_client_for, erased):
    hr, _ = staff_client_for(roles.HR)
    incident = refused_once(hr)
    officer, user = staff_client_for(roles.PRIVACY_OFFICER)
    page = officer.get(reverse("admin:compliance_finding_change", args=[incident.pk]))
    assert lift_url(incident) in page.content.decode()

    response = officer.post(lift_url(incident), {"reason": "Rehired, contract HR-2027-14"})

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "closed"
    lifted = AuditEvent.objects.get(action="dsar.erasure_block_lifted")
    assert lifted.actor_id == str(user.pk)
    assert decrypt(lifted.subject_id, lifted.ciphertext) == {
        "reason": "Rehired, contract HR-2027-14"
    }
    assert "HR-2027-14" not in str(lifted.data)
    # The rehire goes through now; the e-mail still erased was not part of the finding.
    assert hr.post(ADD, form(**{"emails-0-value": "fresh@example.org"})).status_code == 302
    assert Person.objects.filter(user_name="new.hire", active=True).exists()
    assert ErasureLedgerEntry.objects.filter(kind="email").exists()


def test_lifting_needs_a_reason(staff_client_for, erased):
    incident = refused_once(staff_client_for(roles.HR)[0])
    officer, _ = staff_client_for(roles.PRIVACY_OFFICER)

    response = officer.post(lift_url(incident), {"reason": "  "})

    assert response.status_code == 200
    assert response.context["form"].errors
    incident.refresh_from_db()
    assert incident.status == "open"


def test_only_a_privacy_officer_lifts_a_block(staff_client_for, erased):
    incident = refused_once(staff_client_for(roles.HR)[0])
    hr, _ = staff_client_for(roles.HR)

    assert hr.post(lift_url(incident), {"reason": "Rehired"}).status_code == 403
    assert ErasureLedgerEntry.objects.filter(kind="user_name").exists()
