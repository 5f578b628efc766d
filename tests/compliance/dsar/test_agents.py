"""Authorised agents: who they are, their signed permission stored encrypted under the
subject's key, the consumer's direct confirmation, and notices to both."""

from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from compliance.dsar import agents, services
from compliance.dsar.models import AuthorisedAgent, DataSubjectRequest
from portal import roles
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db

PROOF = b"%PDF-1.4 I, Ada, let Bob act for me. Signed."


def step(request, name):
    return reverse("admin:compliance_dsar_step", args=[request.pk, name])


def logged(actor):
    return services.request_receive(
        actor=actor,
        regulation="ccpa",
        type="access",
        person=PersonEmailFactory().person,
        contact_email="ada@example.org",
    )


def record_agent(client, request):
    return client.post(
        step(request, "agent"),
        {
            "confirm": "on",
            "name": "Bob Agent",
            "email": "bob@agency.example",
            "proof": SimpleUploadedFile("permission.pdf", PROOF, "application/pdf"),
        },
    )


def test_the_agent_and_their_signed_permission_are_recorded_encrypted(
    staff_client_for, actor, media_root
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    assert record_agent(client, request).status_code == 302

    agent = AuthorisedAgent.objects.get()
    stored = (Path(media_root) / agent.proof_file).read_bytes()
    assert PROOF not in stored
    assert b"Ada" not in stored
    assert agents.proof_open(agent) == ("permission.pdf", PROOF)
    assert AuditEvent.objects.filter(action="dsar.agent_recorded").exists()
    # Destroying the subject's key shreds the document.
    crypto.destroy_subject_key(request.subject_id)
    assert agents.proof_open(AuthorisedAgent.objects.get()) is None


def test_an_agent_request_verifies_only_after_the_consumer_confirms(staff_client_for, actor):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    record_agent(client, request)
    verify = {
        "confirm": "on",
        "method": "authorised-agent",
        "data_points": ["employee-number", "start-date"],
    }

    refused = client.post(step(request, "verify"), verify)
    assert "confirm the agent" in refused.content.decode()

    assert client.post(step(request, "agent_confirmed"), {"confirm": "on"}).status_code == 302
    assert client.post(step(request, "verify"), verify).status_code == 302
    assert DataSubjectRequest.objects.get().certainty == "reasonable"
    assert AuditEvent.objects.filter(action="dsar.agent_confirmed").exists()


def test_notices_go_to_the_agent_and_the_consumer_but_the_code_only_to_the_consumer(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    record_agent(client, request)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(step(request, "acknowledge"), {"confirm": "on"})
        client.post(step(request, "challenge"), {"confirm": "on"})

    acknowledgement, challenge = mail.outbox
    assert acknowledgement.to == ["ada@example.org", "bob@agency.example"]
    assert challenge.to == ["ada@example.org"]


def test_the_download_link_goes_to_the_consumer_and_the_agent_is_told_so(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    record_agent(client, request)
    services.request_verify(actor=actor, request=request, method="hr-record")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(step(request, "export"), {"confirm": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(step(request, "close"), {"confirm": "on"})

    to_consumer, to_agent = mail.outbox[-2:]
    assert to_consumer.to == ["ada@example.org"]
    assert "/privacy/download/" in to_consumer.body
    assert to_agent.to == ["bob@agency.example"]
    assert "/privacy/download/" not in to_agent.body
    assert "went to the person the data is about" in to_agent.body


def test_a_missing_document_is_a_form_error(staff_client_for, actor):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    response = client.post(
        step(request, "agent"), {"confirm": "on", "name": "Bob", "email": "bob@agency.example"}
    )

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not AuthorisedAgent.objects.exists()


def test_erasing_the_subject_deletes_the_permission_and_blanks_the_agent(
    staff_client_for, actor, media_root
):
    from compliance.dsar import stores

    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    record_agent(client, request)
    path = Path(media_root) / AuthorisedAgent.objects.get().proof_file

    stores.requests_minimise(request.person, actor)

    agent = AuthorisedAgent.objects.get()
    assert (agent.name, agent.email, agent.proof_file) == ("", "", "")
    assert not path.exists()
