"""An approver who leaves hands their open approvals on at once, to the nearest manager
above them who may decide, instead of leaving the request to wait for its deadline."""

import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.models import AccessRequest, Approval, Person
from provisioning.services.scim_clients import scim_client_create, scim_token_issue
from tests.factories import StaffUserFactory
from tests.provisioning.approvals.conftest import link_to, person_with_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def offboard(staff_client_for, django_capture_on_commit_callbacks):
    """HR's leaver: the offboard action on the people list."""
    client, _ = staff_client_for(roles.HR)

    def run(person):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:provisioning_person_changelist"),
                {
                    "action": "offboard",
                    "_selected_action": [person.pk],
                    "reason": "resigned",
                    "confirm_now": "on",
                },
            )
        assert response.status_code == 302
        assert not Person.objects.get(pk=person.pk).active

    return run


def test_the_pending_stage_goes_to_the_leavers_manager_with_a_fresh_link(
    make_request, org, offboard
):
    request = make_request()
    stale = link_to("manager@example.org")

    offboard(org["manager"])

    handed = request.approvals.get(decision="pending")
    assert handed.approver_email == "boss@example.org"
    assert handed.escalated_from == request.approvals.get(decision="escalated")
    assert handed.deadline is not None
    assert mail.outbox[-1].to == ["boss@example.org"]
    assert link_to("boss@example.org") != stale
    event = AuditEvent.objects.get(action="approval.escalated")
    assert event.data["reason"] == "the approver left"


def test_the_leavers_link_stops_working(make_request, org, offboard, client):
    make_request()
    stale = link_to("manager@example.org")

    offboard(org["manager"])

    response = client.post(stale, {"decision": "approve"})
    assert response.status_code in (400, 404, 410)
    assert not Approval.objects.filter(decision="approved").exists()


def test_a_later_stage_addressed_to_the_leaver_is_readdressed_before_it_opens(
    make_request, org, offboard
):
    # The role owner is also a person in the directory, reporting to the boss.
    owner = person_with_email("owner@example.org", manager=org["boss"])
    request = make_request()
    assert request.approvals.get(stage=2).approver_email == "owner@example.org"

    offboard(owner)

    stage_two = request.approvals.exclude(decision="escalated").get(stage=2)
    assert stage_two.decision == "waiting"
    assert stage_two.approver_email == "boss@example.org"
    # The pending first stage is someone else's and stays as it was.
    assert request.approvals.get(stage=1).approver_email == "manager@example.org"
    assert not any("boss@example.org" in message.to for message in mail.outbox)


def test_with_no_one_above_the_leaver_the_request_is_rejected_and_the_requester_told(
    make_request, org, offboard
):
    Person.objects.filter(pk=org["manager"].pk).update(manager=None)
    request = make_request()

    offboard(org["manager"])

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.REJECTED
    assert request.approvals.get(stage=1).comment == (
        "the approver left, and no one above them may decide"
    )
    assert set(request.approvals.values_list("decision", flat=True)) == {"skipped"}
    assert mail.outbox[-1].to == ["requester@example.org"]


def test_a_manager_who_is_the_requester_is_passed_over(make_request, org, offboard):
    """The hand-over keeps the request's independence: the boss asked, so the boss may
    not approve; with no one above the boss, the request is rejected."""
    asking_boss = StaffUserFactory(username="boss", email="boss@example.org")
    request = make_request(requested_by=asking_boss)

    offboard(org["manager"])

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.REJECTED
    assert not Approval.objects.filter(approver_email="boss@example.org").exists()


def test_an_identity_provider_deactivating_the_approver_hands_on_too(
    make_request, org, actor, django_capture_on_commit_callbacks
):
    request = make_request()
    client = scim_client_create(actor=actor, name="Entra ID", profile="directory", mode="strict")
    token = scim_token_issue(client=client, actor=actor).secret
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").patch(
            f"/scim/v2/Users/{org['manager'].pk}",
            data=json.dumps(body),
            content_type="application/scim+json",
        )

    assert response.status_code == 200, response.content
    assert request.approvals.get(decision="pending").approver_email == "boss@example.org"


def test_approvals_already_decided_stay_as_they_were(make_request, org, offboard):
    request = make_request()
    first = request.approvals.get(stage=1)
    Approval.objects.filter(pk=first.pk).update(decision="approved")
    Approval.objects.filter(request=request, stage=2).update(decision="pending")

    offboard(org["manager"])

    first.refresh_from_db()
    assert first.decision == "approved"
    assert first.approver_email == "manager@example.org"
    assert not AuditEvent.objects.filter(action="approval.escalated").exists()
