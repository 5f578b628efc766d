"""Identity verification that works: a one-time code e-mailed to the requester, checked
by the officer or on the requester's own page; the degree of certainty per CCPA §7062;
and the steps that need a reasonably high degree refused below it, with the reason shown."""

import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.dsar import services, verification
from compliance.dsar.models import DataSubjectRequest, VerificationChallenge
from portal import roles
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db

CONTACT = "requester@example.org"


def step(request, name):
    return reverse("admin:compliance_dsar_step", args=[request.pk, name])


def logged(actor, type="access"):
    return services.request_receive(
        actor=actor,
        regulation="ccpa",
        type=type,
        person=PersonEmailFactory().person,
        contact_email=CONTACT,
    )


def sent_code(client, request, capture):
    with capture(execute=True):
        response = client.post(step(request, "challenge"), {"confirm": "on"})
    assert response.status_code == 302
    (message,) = mail.outbox
    code = re.search(r"^\s+(\d{6})$", message.body, re.MULTILINE).group(1)
    link = re.search(r"(http\S+/privacy/verify/\S+/)", message.body).group(1)
    return code, link, message


def test_the_code_is_emailed_and_kept_only_hashed(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    code, _, message = sent_code(client, request, django_capture_on_commit_callbacks)

    challenge = VerificationChallenge.objects.get()
    assert message.to == [CONTACT]
    assert code not in challenge.code_hash
    assert verification.code_matches(challenge, code)
    assert AuditEvent.objects.filter(action="dsar.challenge_sent").exists()
    assert AuditEvent.objects.filter(action="dsar.notice_sent", data__notice="challenge").exists()


def test_the_officer_enters_the_code_the_requester_sent_back(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    code, _, _ = sent_code(client, request, django_capture_on_commit_callbacks)

    response = client.post(step(request, "code"), {"code": code})

    assert response.status_code == 302
    assert VerificationChallenge.objects.get().passed_at is not None
    assert AuditEvent.objects.get(action="dsar.challenge_answered").outcome == "success"


def test_a_wrong_code_is_counted_and_the_code_withdrawn_after_five(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    code, _, _ = sent_code(client, request, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    pages = [client.post(step(request, "code"), {"code": wrong}) for _ in range(5)]

    assert "4 attempts left" in pages[0].content.decode()
    assert "no attempts are left" in pages[4].content.decode()
    challenge = VerificationChallenge.objects.get()
    assert (challenge.attempts, challenge.passed_at) == (5, None)
    assert challenge.withdrawn_at is not None
    assert (
        AuditEvent.objects.filter(action="dsar.challenge_answered", outcome="failed").count() == 5
    )
    # The right code no longer works either: the step is gone.
    assert client.post(step(request, "code"), {"code": code}).status_code == 302
    assert VerificationChallenge.objects.get().passed_at is None


def test_an_expired_code_is_refused(staff_client_for, actor, django_capture_on_commit_callbacks):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    _code, link, _ = sent_code(client, request, django_capture_on_commit_callbacks)

    with time_machine.travel(
        verification.CODE_VALID_FOR + VerificationChallenge.objects.get().created_at
    ):
        page = client.get(link.split("127.0.0.1:8000")[-1])

    assert page.status_code in (404, 410)
    assert VerificationChallenge.objects.get().passed_at is None


def test_the_requester_enters_the_code_on_the_linked_page(
    staff_client_for, actor, client, django_capture_on_commit_callbacks
):
    request = logged(actor)
    officer, _ = staff_client_for(roles.PRIVACY_OFFICER)
    code, link, _ = sent_code(officer, request, django_capture_on_commit_callbacks)
    path = "/" + link.split("/", 3)[3]

    shown = client.get(path)
    assert shown.status_code == 200
    assert VerificationChallenge.objects.get().attempts == 0  # GET changes nothing

    done = client.post(path, {"code": code})

    assert "the code matches" in done.content.decode()
    assert VerificationChallenge.objects.get().passed_at is not None
    event = AuditEvent.objects.get(action="dsar.challenge_answered")
    assert event.channel == "email-link"


def test_a_forged_link_shows_a_clear_page(client):
    page = client.get(reverse("dsar-challenge", args=["forged"]))
    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def test_two_data_points_verify_to_a_reasonable_degree_and_the_export_stays_blocked(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    code, _, _ = sent_code(client, request, django_capture_on_commit_callbacks)
    client.post(step(request, "code"), {"code": code})

    response = client.post(
        step(request, "verify"),
        {
            "confirm": "on",
            "method": "email-challenge",
            "data_points": ["email-control", "employee-number"],
        },
    )

    assert response.status_code == 302
    verified = DataSubjectRequest.objects.get()
    assert verified.certainty == "reasonable"
    page = client.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()
    assert "needs a reasonably high degree of certainty" in page
    assert "dsar-step-export" not in page
    refused = client.post(step(request, "export"), {"confirm": "on"})
    assert refused.status_code == 200
    assert "reasonably high degree" in refused.content.decode()


def test_three_data_points_and_a_declaration_allow_the_erasure(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor, type="deletion")
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    code, _, _ = sent_code(client, request, django_capture_on_commit_callbacks)
    client.post(step(request, "code"), {"code": code})

    client.post(
        step(request, "verify"),
        {
            "confirm": "on",
            "method": "email-challenge",
            "data_points": ["email-control", "employee-number", "start-date"],
            "declaration": "on",
        },
    )

    verified = DataSubjectRequest.objects.get()
    assert verified.certainty == "reasonably-high"
    page = client.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()
    assert "verified by matching 3 data points" in page
    assert "dsar-step-erase" in page
    event = AuditEvent.objects.get(action="dsar.verified")
    assert event.data["certainty"] == "reasonably-high"


def test_email_control_cannot_be_claimed_without_the_code(staff_client_for, actor):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    response = client.post(
        step(request, "verify"),
        {
            "confirm": "on",
            "method": "email-challenge",
            "data_points": ["email-control", "employee-number", "start-date"],
            "declaration": "on",
        },
    )

    assert response.status_code == 200
    assert "only once the one-time code was entered" in response.content.decode()
    assert DataSubjectRequest.objects.get().certainty == ""


def test_one_data_point_does_not_verify(staff_client_for, actor):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    response = client.post(
        step(request, "verify"),
        {"confirm": "on", "method": "hr-record", "data_points": []},
    )
    # An HR check in person is existing authentication: reasonably high without points.
    assert response.status_code == 302
    assert DataSubjectRequest.objects.get().certainty == "reasonably-high"

    other = logged(actor)
    refused = client.post(
        step(other, "verify"),
        {"confirm": "on", "method": "authorised-agent", "data_points": ["employee-number"]},
    )
    assert refused.status_code == 200
    assert "Record the agent" in refused.content.decode()


def test_an_hr_check_in_person_reads_as_such_not_as_data_points(staff_client_for, actor):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    client.post(step(request, "verify"), {"confirm": "on", "method": "hr-record"})

    page = client.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()
    assert "reasonably high degree, matched against the HR record in person" in page
    assert "three data points and a declaration)" not in page  # what no one matched
