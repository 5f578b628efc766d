"""Approvers decide from the e-mailed link: GET shows, POST decides, a link works once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning.models import AccessGrant, AccessRequest, Approval
from tests.provisioning.approvals.conftest import link_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def post_decision(client, path, decision, comment=""):
    page = client.get(path)
    token = page.cookies["csrftoken"].value
    return client.post(
        path, {"decision": decision, "comment": comment, "csrfmiddlewaretoken": token}
    )


def test_the_manager_is_emailed_a_link_in_html_and_text(make_request):
    make_request()

    (message,) = mail.outbox
    assert message.to == ["manager@example.org"]
    assert "/approvals/" in message.body
    assert "/approvals/" in message.alternatives[0][0]


def test_the_database_keeps_only_a_hash_of_the_link(make_request):
    make_request()

    approval = Approval.objects.get(decision="pending")
    token = link_to("manager@example.org").split("/")[2]
    assert len(approval.token_hash) == 64
    assert approval.token_hash not in token


def test_opening_the_link_shows_the_request_and_changes_nothing(make_request, client):
    request = make_request()
    before = AuditEvent.objects.count()

    response = client.get(link_to("manager@example.org"))

    assert response.status_code == 200
    assert b"Runs payroll this quarter" in response.content
    assert AuditEvent.objects.count() == before
    assert Approval.objects.get(request=request, stage=1).decision == "pending"


def test_a_later_stage_reads_the_earlier_decisions_and_comments(
    make_request, client, django_capture_on_commit_callbacks
):
    make_request()
    with django_capture_on_commit_callbacks(execute=True):
        post_decision(client, link_to("manager@example.org"), "approve", "Needed for Q3 close")

    page = client.get(link_to("owner@example.org")).content.decode()

    assert "Earlier stages" in page
    assert "approved by manager@example.org" in page
    assert "Needed for Q3 close" in page


def test_the_first_stage_has_no_earlier_decisions_to_show(make_request, client):
    make_request()

    page = client.get(link_to("manager@example.org")).content.decode()

    assert "Earlier stages" not in page


def test_approval_by_every_stage_grants_the_role_until_the_requested_duration(
    make_request, client, django_capture_on_commit_callbacks
):
    make_request()
    with django_capture_on_commit_callbacks(execute=True):
        post_decision(client, link_to("manager@example.org"), "approve")
    assert not AccessGrant.objects.exists()  # the owner has not decided yet

    with django_capture_on_commit_callbacks(execute=True):
        response = post_decision(client, link_to("owner@example.org"), "approve", "ok")

    assert response.status_code == 200
    grant = AccessGrant.objects.get()
    assert (grant.source, grant.status) == ("request", "active")
    assert grant.expires_at is not None
    assert abs(grant.expires_at - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    assert AccessRequest.objects.get().status == "approved"
    decided = AuditEvent.objects.filter(action="approval.decided")
    assert {(e.actor_kind, e.channel) for e in decided} == {("approver", "email-link")}
    created = AuditEvent.objects.get(action="grant.created")
    assert created.data["source"] == "request"
    assert mail.outbox[-1].to == ["requester@example.org"]


def test_the_decision_reads_as_a_word_of_the_sentence_on_the_page_and_in_the_email(
    make_request, client, django_capture_on_commit_callbacks
):
    """Not "You Approved access" nor "Access request Approved:": the choice's label was
    dropped into the sentence as it is."""
    make_request()
    with django_capture_on_commit_callbacks(execute=True):
        post_decision(client, link_to("manager@example.org"), "approve")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_decision(client, link_to("owner@example.org"), "approve")

    assert "You approved access to" in response.content.decode()
    assert mail.outbox[-1].subject.startswith("Access request approved: ")
    assert " was approved." in mail.outbox[-1].body


def test_a_rejection_ends_the_request_and_skips_later_stages(
    make_request, client, django_capture_on_commit_callbacks
):
    request = make_request()

    with django_capture_on_commit_callbacks(execute=True):
        post_decision(client, link_to("manager@example.org"), "reject", "not needed")

    request.refresh_from_db()
    assert request.status == "rejected"
    assert request.approvals.get(stage=2).decision == "skipped"
    assert not AccessGrant.objects.exists()
    told = mail.outbox[-1]
    assert told.to == ["requester@example.org"]
    assert "Why: stage 1 (the person's manager) rejected it." in told.body
    assert "not needed" not in told.body  # the approver's comment is theirs


def test_a_used_link_says_so_and_changes_nothing(make_request, client):
    make_request()
    path = link_to("manager@example.org")
    post_decision(client, path, "reject")
    before = AuditEvent.objects.count()

    again = client.post(path, {"decision": "approve"})  # no page, so no CSRF cookie either
    shown = client.get(path)

    assert shown.status_code == 410
    assert b"already been used" in shown.content
    assert again.status_code in (403, 410)
    assert AuditEvent.objects.count() == before
    assert AccessRequest.objects.get().status == "rejected"


def test_an_expired_link_says_so_and_changes_nothing(make_request, client):
    make_request()
    path = link_to("manager@example.org")

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.get(path)

    assert response.status_code == 410
    assert b"expired" in response.content
    assert Approval.objects.get(stage=1).decision == "pending"


def test_a_forged_link_says_so(make_request, client):
    make_request()
    path = link_to("manager@example.org")
    forged = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]

    response = client.get(forged)

    assert response.status_code == 404
    assert b"not valid" in response.content


def test_the_decision_needs_the_csrf_token(make_request, client):
    make_request()
    path = link_to("manager@example.org")
    client.get(path)

    response = client.post(path, {"decision": "approve"})

    assert response.status_code == 403
    assert Approval.objects.get(stage=1).decision == "pending"
