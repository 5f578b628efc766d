"""A downstream application that failed to erase the person is a warning on the request
and on the dashboard, with a retry (a POST, audited) that runs the failed step again."""

import pytest
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.dsar import services
from compliance.dsar.models import Erasure, ErasureStep, Status
from portal import roles
from provisioning.models import Person
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db

FAILED = {
    "downstream": [
        {"application": "Slack", "outcome": "failed", "detail": "HTTP 500"},
        {"application": "Jira", "outcome": "deleted", "detail": ""},
    ]
}


def erased_with_a_failure(actor):
    person: Person = PersonEmailFactory.create().person
    request = services.request_receive(
        actor=actor,
        regulation="gdpr",
        type="deletion",
        person=person,
        contact_email="ada@example.org",
    )
    request = services.request_verify(actor=actor, request=request, method="hr-record")
    erasure = Erasure.objects.create(request=request, person=person, reason="request")
    ErasureStep.objects.create(erasure=erasure, eraser="downstream", store="SCIM", result=FAILED)
    request.status = Status.READY
    request.save(update_fields=["status"])
    return request


def test_the_request_page_warns_of_the_failed_step_and_offers_a_retry(staff_client_for, actor):
    request = erased_with_a_failure(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    page = client.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()

    assert "Erasing the account in Slack failed (HTTP 500)." in page
    assert "Jira" not in page
    assert "dsar-step-retry" in page


def test_the_dashboard_counts_requests_with_a_failed_step(staff_client_for, actor):
    erased_with_a_failure(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    page = client.get(reverse("admin:index")).content.decode()

    assert "1 open request has a failed step" in page


def test_retrying_runs_the_failed_step_again_and_is_audited(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = erased_with_a_failure(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    retry = reverse("admin:compliance_dsar_step", args=[request.pk, "retry"])

    assert client.get(retry).status_code == 200  # the confirmation page; nothing runs
    assert not AuditEvent.objects.filter(action="dsar.step_retried").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry, {"confirm": "on"})

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="dsar.step_retried")
    assert event.data["steps"] == ["downstream"]
    step = ErasureStep.objects.get(eraser="downstream")
    assert step.result == {"downstream": []}  # no connector left failing here
    page = client.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()
    assert "failed (HTTP 500)" not in page
