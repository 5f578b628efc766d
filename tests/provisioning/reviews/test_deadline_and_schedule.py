"""Beat's jobs: at the deadline undecided items follow the campaign's rule; reviewers with
undecided items are reminded; recurring campaigns start again when due."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning import tasks
from provisioning.models import CampaignRun, SentEmail
from tests.provisioning.reviews.conftest import active, links_in_mail

pytestmark = pytest.mark.django_db


def later(days):
    return time_machine.travel(timezone.now() + timedelta(days=days))


@pytest.fixture
def run_task(django_capture_on_commit_callbacks):
    def call(task):
        with django_capture_on_commit_callbacks(execute=True):
            return task.delay().get()

    return call


def test_nothing_happens_before_the_deadline(define, start, run_task):
    run = start(define(on_undecided="revoke"))

    assert run_task(tasks.reviews_deadline)["closed"] == 0
    assert CampaignRun.objects.get(pk=run.pk).status == "open"


def test_the_revoke_rule_ends_undecided_access_at_the_deadline(org, define, start, run_task):
    run = start(define(on_undecided="revoke"))

    with later(15):
        outcome = run_task(tasks.reviews_deadline)

    assert (outcome["revoked"], outcome["closed"]) == (3, 1)
    assert not any(active(grant) for grant in org["grants"].values())
    assert set(run.items.values_list("decision", "by_rule")) == {("revoke", True)}
    assert not run.items.filter(remediation_event=None).exists()
    assert AuditEvent.objects.filter(action="review.closed").exists()


def test_the_keep_rule_keeps_undecided_access(org, define, start, run_task):
    run = start(define(on_undecided="keep"))

    with later(15):
        outcome = run_task(tasks.reviews_deadline)

    assert outcome["kept"] == 3
    assert all(active(grant) for grant in org["grants"].values())
    assert CampaignRun.objects.get(pk=run.pk).status == "closed"


def test_the_escalate_rule_hands_undecided_items_to_the_fallback(org, define, start, run_task):
    run = start(define(on_undecided="escalate"))

    with later(15):
        outcome = run_task(tasks.reviews_deadline)

    assert outcome["escalated"] == 3
    assert set(run.items.values_list("reviewer_email", "routing")) == {
        ("fallback@example.org", "escalated")
    }
    assert "fallback@example.org" in links_in_mail()
    with later(15 + 4):
        closing = run_task(tasks.reviews_deadline)
    assert (closing["closed"], closing["overdue"]) == (1, 3)
    assert all(active(grant) for grant in org["grants"].values())


def test_a_closed_review_link_no_longer_works(define, start, run_task, client):
    start(define(on_undecided="keep"))
    path = links_in_mail()["manager@example.org"]
    with later(15):
        run_task(tasks.reviews_deadline)

    assert client.get(path).status_code == 410


def test_reviewers_with_undecided_items_are_reminded_each_interval(define, start, run_task, client):
    start(define(reminder_interval=timedelta(days=3)))
    first = links_in_mail()["manager@example.org"]

    assert run_task(tasks.reviews_remind) == 0
    with later(3.1):
        assert run_task(tasks.reviews_remind) == 1
        assert run_task(tasks.reviews_remind) == 0
        fresh = links_in_mail()["manager@example.org"]
        assert fresh != first
        assert client.get(first).status_code == 410
        assert client.get(fresh).status_code == 200
    assert SentEmail.objects.filter(template="review_reminder").count() == 1


def test_a_recurring_campaign_starts_when_due_and_not_before(define, run_task):
    campaign = define(recurrence="quarterly")

    assert run_task(tasks.campaigns_recurring) == 1
    assert run_task(tasks.campaigns_recurring) == 0
    with later(95):
        assert run_task(tasks.campaigns_recurring) == 1
    assert campaign.runs.count() == 2


def test_a_one_off_campaign_is_never_started_by_the_scheduler(define, run_task):
    define()

    assert run_task(tasks.campaigns_recurring) == 0
