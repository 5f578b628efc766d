"""A role that changes owner hands its open owner stages to the new owner, so that no
request waits on someone who no longer answers for the role."""

import pytest
from django.core import mail

from compliance.audit.models import AuditEvent
from provisioning.models import AccessRequest, Approval, Role
from tests.factories import StaffUserFactory
from tests.provisioning.approvals.conftest import link_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def change_owner(it_saves):
    """IT gives the role another owner on its admin page."""

    def change(role: Role, owner) -> None:
        it_saves(
            role,
            {
                "name": role.name,
                "owner": owner.pk,
                "risk_level": role.risk_level,
                "max_duration": "30",
                "requestable": "on",
                "on_timeout": role.on_timeout,
            },
        )

    return change


def approve_first_stage(request, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link_to("manager@example.org"), {"decision": "approve"})
    assert response.status_code in (200, 302)
    assert request.approvals.get(stage=2).decision == Approval.Decision.PENDING


def test_the_pending_owner_stage_goes_to_the_new_owner_with_a_fresh_link(
    make_request, org, change_owner, client, django_capture_on_commit_callbacks
):
    request = make_request()
    approve_first_stage(request, client, django_capture_on_commit_callbacks)
    stale = link_to("owner@example.org")
    successor = StaffUserFactory(username="successor", email="successor@example.org")

    change_owner(org["role"], successor)

    pending = request.approvals.get(decision="pending")
    assert (pending.stage, pending.approver_email) == (2, "successor@example.org")
    assert mail.outbox[-1].to == ["successor@example.org"]
    assert client.post(stale, {"decision": "approve"}).status_code in (400, 404, 410)
    event = AuditEvent.objects.get(action="approval.escalated")
    assert event.data["reason"] == "the role changed owner"


def test_a_waiting_owner_stage_is_readdressed_before_it_opens(make_request, org, change_owner):
    request = make_request()
    successor = StaffUserFactory(username="successor", email="successor@example.org")

    change_owner(org["role"], successor)

    stage_two = request.approvals.exclude(decision="escalated").get(stage=2)
    assert (stage_two.decision, stage_two.approver_email) == ("waiting", "successor@example.org")
    assert request.approvals.get(stage=1).decision == "pending"


def test_an_owner_who_is_the_requester_cannot_take_over_their_own_request(
    make_request, org, change_owner
):
    request = make_request()

    change_owner(org["role"], org["requester"])

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.REJECTED
    assert not Approval.objects.filter(approver_email="requester@example.org").exists()


def test_changing_something_else_leaves_the_stages_alone(make_request, org, change_owner):
    request = make_request()

    change_owner(org["role"], org["owner"])

    assert not request.approvals.filter(decision="escalated").exists()
    assert request.approvals.get(stage=2).approver_email == "owner@example.org"
