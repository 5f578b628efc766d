"""Notices reach the requester: each step sends its e-mail (HTML and text) through the
outbox, records it, and records an audit event."""

import re
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.dsar import deadlines, services
from compliance.dsar.models import DataSubjectRequest, Notice
from portal import roles
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db

CONTACT = "requester@example.org"


def step(request, name):
    return reverse("admin:compliance_dsar_step", args=[request.pk, name])


def logged(actor, *, regulation="gdpr", type="access", verified=False):
    person = PersonEmailFactory().person
    request = services.request_receive(
        actor=actor, regulation=regulation, type=type, person=person, contact_email=CONTACT
    )
    if verified:
        request = services.request_verify(actor=actor, request=request, method="hr-record")
    return request


def post_step(client, request, name, data, capture):
    with capture(execute=True):
        response = client.post(step(request, name), {"confirm": "on", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def only_message():
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    return message, html


def test_the_acknowledgement_is_emailed_recorded_and_audited(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, user = staff_client_for(roles.PRIVACY_OFFICER)

    post_step(client, request, "acknowledge", {}, django_capture_on_commit_callbacks)

    message, html = only_message()
    assert message.to == [CONTACT]
    assert str(request.pk)[:8].upper() in message.subject
    assert request.due_on.strftime("%-d %B %Y") in message.body
    assert request.due_on.strftime("%-d %B %Y") in html
    notice = Notice.objects.get()
    assert (notice.kind, notice.recipients, notice.sent_by) == ("acknowledgement", [CONTACT], user)
    event = AuditEvent.objects.get(action="dsar.notice_sent")
    assert event.data["notice"] == "acknowledgement"
    assert CONTACT not in str(event.data)  # the address is only in the encrypted details


def test_the_extension_notice_gives_the_reasons_and_the_new_date(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    post_step(
        client,
        request,
        "extend",
        {"months": "2", "reason": "Records are archived off-site."},
        django_capture_on_commit_callbacks,
    )

    message, html = only_message()
    request.refresh_from_db()
    assert "Records are archived off-site." in message.body
    assert "Records are archived off-site." in html
    assert request.due_on.strftime("%-d %B %Y") in message.body
    assert "Art. 12(3)" in message.body
    assert Notice.objects.get().kind == "extension"


def test_the_denial_gives_the_legal_basis_and_how_to_complain(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor, regulation="ccpa")
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    post_step(
        client,
        request,
        "deny",
        {"basis": "identity-unverified"},
        django_capture_on_commit_callbacks,
    )

    message, html = only_message()
    assert "identity could not be verified" in message.body
    assert "California Privacy Protection Agency" in message.body
    assert "https://cppa.ca.gov/" in html
    assert AuditEvent.objects.filter(action="dsar.notice_sent", data__notice="denial").exists()


def test_the_completion_of_an_erasure_says_what_was_erased(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor, type="deletion", verified=True)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    post_step(client, request, "erase", {}, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    post_step(client, request, "close", {}, django_capture_on_commit_callbacks)

    message, _html = only_message()
    assert "erased from" in message.body
    assert "data-subject requests" in message.body  # one of the stores, by its name
    assert message.to == [CONTACT]  # the erasure kept the address until the answer went
    request.refresh_from_db()
    assert (request.contact_email, request.subject_identifiers) == ("", {})
    assert [notice.recipients for notice in Notice.objects.all()] == [[]]


def test_the_completion_of_an_export_says_how_to_get_the_copy(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor, verified=True)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    post_step(client, request, "export", {}, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    post_step(client, request, "close", {}, django_capture_on_commit_callbacks)

    message, html = only_message()
    assert "How to get it" in message.body
    assert re.search(r"http\S+/privacy/download/\S+/", message.body)
    assert "/privacy/download/" in html


def test_the_request_page_lists_the_notices_sent(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    request = logged(actor)
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    post_step(client, request, "acknowledge", {}, django_capture_on_commit_callbacks)

    page = client.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()

    assert re.search(r"Acknowledgement: .* to requester@example.org", page)


def test_a_step_with_no_address_to_notify_is_refused_on_its_page(staff_client_for, actor):
    request = services.request_receive(
        actor=actor,
        regulation="gdpr",
        type="access",
        person=None,
        identifiers={"name": "Ada Lovelace"},
    )
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    response = client.post(step(request, "acknowledge"), {"confirm": "on"})

    assert response.status_code == 200
    assert "no address to send the notice to" in response.content.decode()
    assert not Notice.objects.exists()
    assert DataSubjectRequest.objects.get().acknowledged_at is None


def test_ccpa_acknowledgement_is_due_within_ten_business_days_of_receipt():
    # Received on Friday 31 January 2025: ten working days later is Friday 14 February.
    due = deadlines.deadlines(regulation="ccpa", received=date(2025, 1, 31))
    assert due.acknowledge_by == date(2025, 2, 14)


def test_a_ccpa_request_logged_in_the_evening_in_california_counts_from_that_day(
    staff_client_for, settings
):
    settings.ORGANISATION_TIME_ZONE = "America/Los_Angeles"
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    person = PersonEmailFactory().person

    with time_machine.travel("2025-02-01 03:00Z"):  # 31 January, 19:00 in California
        response = client.post(
            reverse("admin:compliance_datasubjectrequest_add"),
            {
                "regulation": "ccpa",
                "type": "access",
                "channel": "web-form",
                "person": person.pk,
                "received_at_0": "2025-01-31",
                "received_at_1": "17:00",
            },
        )

    assert response.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert request.received_at.isoformat() == "2025-02-01T01:00:00+00:00"
    assert (request.acknowledge_by, request.due_on) == (date(2025, 2, 14), date(2025, 3, 16))
