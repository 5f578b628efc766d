"""Unanswered approvals: a reminder first, then escalation or rejection, by a beat task."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning import tasks
from provisioning.models import Approval, Role
from tests.provisioning.approvals.conftest import link_to

pytestmark = pytest.mark.django_db


def run_overdue(at, django_capture_on_commit_callbacks):
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        return tasks.approvals_overdue.delay().get()


def test_nothing_happens_before_the_deadline(make_request, django_capture_on_commit_callbacks):
    make_request()

    outcome = run_overdue(timezone.now() + timedelta(days=2), django_capture_on_commit_callbacks)

    assert outcome == {"reminded": 0, "escalated": 0, "rejected": 0}


def test_past_the_deadline_the_approver_is_reminded_with_a_fresh_link(
    make_request, django_capture_on_commit_callbacks
):
    make_request()
    first_link = link_to("manager@example.org")

    run_overdue(timezone.now() + timedelta(days=3, minutes=1), django_capture_on_commit_callbacks)

    assert mail.outbox[-1].subject.startswith("Reminder")
    assert link_to("manager@example.org") != first_link
    assert AuditEvent.objects.filter(action="approval.reminded").count() == 1


def test_after_the_reminder_it_escalates_to_the_approvers_manager(
    make_request, django_capture_on_commit_callbacks
):
    request = make_request()
    start = timezone.now()
    run_overdue(start + timedelta(days=3, minutes=1), django_capture_on_commit_callbacks)

    outcome = run_overdue(start + timedelta(days=4, minutes=2), django_capture_on_commit_callbacks)

    assert outcome["escalated"] == 1
    assert request.approvals.get(decision="pending").approver_email == "boss@example.org"
    assert request.approvals.get(decision="escalated").approver_email == "manager@example.org"
    assert mail.outbox[-1].to == ["boss@example.org"]


def test_a_role_configured_to_reject_rejects_after_the_reminder(
    make_request, org, django_capture_on_commit_callbacks
):
    Role.objects.filter(pk=org["role"].pk).update(on_timeout=Role.OnTimeout.REJECT)
    request = make_request()
    start = timezone.now()
    run_overdue(start + timedelta(days=3, minutes=1), django_capture_on_commit_callbacks)

    outcome = run_overdue(start + timedelta(days=4, minutes=2), django_capture_on_commit_callbacks)

    assert outcome["rejected"] == 1
    request.refresh_from_db()
    assert request.status == "rejected"
    assert Approval.objects.get(stage=1).comment == "no answer by the deadline"
    told = mail.outbox[-1]
    assert told.to == ["requester@example.org"]
    assert "Why: stage 1 (the person's manager) had no answer by the deadline." in told.body
