"""Reviewers decide from the e-mailed link: GET shows their items and changes nothing;
a POST decides one item, or several after a confirmation; each item is decided once."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning.email_redaction import SIGNED_LINK_REMOVED
from provisioning.models import ReviewItem, SentEmail
from tests.factories import AccessGrantFactory, PersonFactory
from tests.provisioning.reviews.conftest import active, links_in_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def link(define, start):
    run = start(define())
    return links_in_mail()["manager@example.org"], run


def post(client, path, data):
    page = client.get(path)
    token = page.cookies["csrftoken"].value
    return client.post(path, {**data, "csrfmiddlewaretoken": token})


def item_of(run, grant):
    return run.items.get(grant=grant)


def test_opening_the_link_shows_the_items_and_changes_nothing(link, client):
    path, run = link
    before = AuditEvent.objects.count()

    response = client.get(path)

    assert response.status_code == 200
    assert b"Payroll" in response.content
    assert b"runs payroll" in response.content
    assert AuditEvent.objects.count() == before
    assert not run.items.exclude(decision="pending").exists()


def test_the_stored_copy_of_the_email_keeps_no_link(link):
    path, _ = link
    token = path.split("/")[2]

    stored = SentEmail.objects.get(template="review_requested")
    assert token not in stored.body
    assert SIGNED_LINK_REMOVED in stored.body


def test_keeping_an_item_records_the_decision(org, link, client):
    path, run = link
    item = item_of(run, org["grants"]["ada-reporting"])

    response = post(client, path, {"item": item.pk, "decision": "keep"})

    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.decision, item.decided_by) == ("keep", "reviewer (access review link)")
    assert AuditEvent.objects.filter(action="review.decided", data__item=item.pk).exists()
    assert active(org["grants"]["ada-reporting"])


def test_keeping_high_risk_access_needs_a_comment(org, link, client):
    path, run = link
    item = item_of(run, org["grants"]["ada-payroll"])

    refused = post(client, path, {"item": item.pk, "decision": "keep"})
    kept = post(client, path, {"item": item.pk, "decision": "keep", "comment": "month end"})

    assert refused.status_code == 409
    assert b"needs a comment" in refused.content
    assert kept.status_code == 200
    item.refresh_from_db()
    assert (item.decision, item.comment) == ("keep", "month end")


def test_an_item_is_decided_once(org, link, client):
    path, run = link
    item = item_of(run, org["grants"]["ada-reporting"])
    post(client, path, {"item": item.pk, "decision": "keep"})

    again = post(client, path, {"item": item.pk, "decision": "revoke"})

    assert again.status_code == 409
    assert b"already decided" in again.content
    assert active(org["grants"]["ada-reporting"])


def test_revoking_ends_the_grant_and_tells_the_holder(
    org, link, client, django_capture_on_commit_callbacks
):
    path, run = link
    item = item_of(run, org["grants"]["bob-reporting"])

    with django_capture_on_commit_callbacks(execute=True):
        post(client, path, {"item": item.pk, "decision": "revoke"})

    assert not active(org["grants"]["bob-reporting"])
    item.refresh_from_db()
    remediation = AuditEvent.objects.get(sequence=item.remediation_event)
    assert remediation.action == "review.remediated"
    assert AuditEvent.objects.filter(
        action="grant.revoked", target_id=str(org["grants"]["bob-reporting"].pk)
    ).exists()
    assert SentEmail.objects.filter(
        template="review_access_revoked", recipients=["bob@example.org"]
    ).exists()


def test_shortening_sets_an_earlier_end(org, link, client):
    path, run = link
    item = item_of(run, org["grants"]["ada-reporting"])
    until = (timezone.now() + timedelta(days=10)).date()

    post(client, path, {"item": item.pk, "decision": "shorten", "shorten_to": until.isoformat()})

    grant = org["grants"]["ada-reporting"]
    grant.refresh_from_db()
    assert grant.expires_at.date() == until + timedelta(days=1)
    assert grant.status == "active"


def test_shortening_to_a_past_date_is_refused(org, link, client):
    path, run = link
    item = item_of(run, org["grants"]["ada-reporting"])

    response = post(
        client, path, {"item": item.pk, "decision": "shorten", "shorten_to": "2020-01-01"}
    )

    assert response.status_code == 409
    assert b"after today" in response.content


def test_a_bulk_decision_asks_for_confirmation_first(org, link, client):
    path, run = link
    ids = [item_of(run, org["grants"][name]).pk for name in ("ada-reporting", "bob-reporting")]

    asked = post(client, path, {"bulk": "1", "items": ids, "decision": "keep"})
    assert asked.status_code == 200
    assert b"Keep 2 items?" in asked.content
    assert not run.items.exclude(decision="pending").exists()

    post(client, path, {"bulk": "1", "items": ids, "decision": "keep", "confirm": "1"})
    assert set(run.items.filter(pk__in=ids).values_list("decision", flat=True)) == {"keep"}


def test_a_bulk_keep_with_high_risk_access_and_no_comment_decides_nothing(org, link, client):
    path, run = link
    ids = list(run.items.values_list("pk", flat=True))

    response = post(client, path, {"bulk": "1", "items": ids, "decision": "keep", "confirm": "1"})

    assert response.status_code == 409
    assert not run.items.exclude(decision="pending").exists()


def test_a_reviewer_cannot_decide_someone_elses_item(org, define, start, client):
    loner = PersonFactory()
    AccessGrantFactory(person=loner, role=org["reporting"])
    run = start(define())
    path = links_in_mail()["manager@example.org"]
    theirs = run.items.get(person=loner)  # the fallback's

    response = post(client, path, {"item": theirs.pk, "decision": "revoke"})

    assert response.status_code == 409
    assert ReviewItem.objects.get(pk=theirs.pk).decision == "pending"


def test_an_altered_link_is_refused(link, client):
    path, _ = link

    assert client.get(path[:-3] + "xx/").status_code == 404


def test_the_link_expires(link, client, settings):
    path, _ = link
    with time_machine.travel(
        timezone.now() + timedelta(days=settings.REVIEW_LINK_MAX_AGE_DAYS + 1)
    ):
        assert client.get(path).status_code == 410


@pytest.mark.postgresql
def test_a_page_of_500_items_renders_in_a_constant_number_of_queries(
    org, define, start, client, django_assert_max_num_queries
):
    for _ in range(520):
        AccessGrantFactory(person=PersonFactory(manager=org["manager"]), role=org["reporting"])
    start(define())
    path = links_in_mail()["manager@example.org"]

    with django_assert_max_num_queries(8):
        response = client.get(path)

    assert response.status_code == 200
    assert response.content.count(b'name="items"') == 500
