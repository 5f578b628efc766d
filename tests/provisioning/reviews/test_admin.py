"""The admin side of access reviews: IT defines and starts a campaign, a reviewer who is
staff decides from "My access reviews", and the report is read, printed and exported."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.models import Campaign, CampaignRun, ReviewItem
from provisioning.services.review_decisions import ItemDecision, review_decide_as_staff
from tests.factories import AccessGrantFactory, PersonFactory, StaffUserFactory
from tests.provisioning.reviews.conftest import active

pytestmark = pytest.mark.django_db

ADD = reverse("admin:provisioning_campaign_add")
MINE = reverse("admin:provisioning_my_reviews")


def campaign_form(org, **overrides):
    return {
        "name": "Quarterly high risk",
        "description": "SOX: high-risk roles each quarter",
        "active": "on",
        "risk_levels": ["high"],
        "department": "",
        "reviewer_kind": "owner",
        "fallback_reviewer": org["fallback"].pk,
        "duration": "14",
        "reminder_interval": "3",
        "on_undecided": "revoke",
        "recurrence": "quarterly",
        **overrides,
    }


def test_it_defines_a_campaign_through_the_service(org, staff_client_for):
    client, _ = staff_client_for(roles.IT)

    response = client.post(ADD, campaign_form(org, roles=[org["payroll"].pk]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get()
    assert campaign.risk_levels == ["high"]
    assert list(campaign.roles.all()) == [org["payroll"]]
    assert AuditEvent.objects.filter(action="review.campaign_saved").count() == 1


def test_a_named_reviewer_must_be_named(org, staff_client_for):
    client, _ = staff_client_for(roles.IT)

    response = client.post(ADD, campaign_form(org, reviewer_kind="named"))

    assert response.status_code == 200
    assert "Name the reviewer" in str(response.context["adminform"].form.errors)
    assert not Campaign.objects.exists()


def test_the_start_page_asks_first_and_changes_nothing(define, staff_client_for):
    campaign = define()
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    url = reverse("admin:provisioning_campaign_start", args=[campaign.pk])

    response = client.get(url)

    assert response.status_code == 200
    assert b"Start the review" in response.content
    assert not CampaignRun.objects.exists()


def test_starting_from_the_admin_freezes_the_items_and_shows_the_report(
    define, staff_client_for, django_capture_on_commit_callbacks
):
    campaign = define()
    client, _ = staff_client_for(roles.IT)
    url = reverse("admin:provisioning_campaign_start", args=[campaign.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"start": "1"})

    run = CampaignRun.objects.get()
    assert response.url == reverse("admin:provisioning_campaignrun_report", args=[run.pk])
    assert run.item_count == 3
    (message,) = get_messages(response.wsgi_request)
    assert "3 items frozen" in str(message)


@pytest.mark.parametrize("role", [roles.HR, roles.APPROVER, roles.AUDITOR])
def test_only_it_and_privacy_officers_start_campaigns(define, staff_client_for, role):
    campaign = define()
    client, _ = staff_client_for(role)

    response = client.post(reverse("admin:provisioning_campaign_start", args=[campaign.pk]))

    assert response.status_code == 403
    assert not CampaignRun.objects.exists()


def test_a_staff_reviewer_decides_in_the_admin(org, define, start, staff_client_for):
    loner = PersonFactory(display_name="Lone Ranger")  # no manager: the fallback reviews
    grant = AccessGrantFactory(person=loner, role=org["payroll"])
    run = start(define())
    client, _ = staff_client_for(roles.APPROVER, username="fb", email="fallback@example.org")
    item = run.items.get(grant=grant)

    page = client.get(MINE)
    assert b"Lone Ranger" in page.content
    assert b"Reporting" not in page.content  # the manager's items are not theirs
    client.post(MINE, {"item": item.pk, "decision": "revoke"})

    assert ReviewItem.objects.get(pk=item.pk).decision == "revoke"
    assert not active(grant)


def test_a_staff_bulk_decision_is_confirmed_first(org, define, start, staff_client_for):
    for name in ("one", "two"):
        AccessGrantFactory(person=PersonFactory(user_name=name), role=org["reporting"])
    run = start(define())
    client, _ = staff_client_for(roles.APPROVER, username="fb", email="fallback@example.org")
    ids = list(run.items.filter(reviewer_email="fallback@example.org").values_list("pk", flat=True))

    asked = client.post(MINE, {"bulk": "1", "items": ids, "decision": "keep"})
    assert b"Keep 2 items?" in asked.content
    assert set(run.items.filter(pk__in=ids).values_list("decision", flat=True)) == {"pending"}

    client.post(MINE, {"bulk": "1", "items": ids, "decision": "keep", "confirm": "1"})
    assert set(run.items.filter(pk__in=ids).values_list("decision", flat=True)) == {"keep"}


def _decided_run(org, define, start, actor):
    """A started review where the manager revoked bob's Reporting, saying why."""
    run = start(define())
    item = run.items.get(grant=org["grants"]["bob-reporting"])
    review_decide_as_staff(
        user=StaffUserFactory(email="manager@example.org"),
        decisions=[ItemDecision(item.pk, "revoke", "moved to sales")],
        actor=actor,
    )
    return run


def test_the_report_shows_decisions_remediations_and_completion(
    org, define, start, staff_client_for, actor
):
    run = _decided_run(org, define, start, actor)
    item = run.items.get(grant=org["grants"]["bob-reporting"])
    client, _ = staff_client_for(roles.AUDITOR)

    response = client.get(reverse("admin:provisioning_campaignrun_report", args=[run.pk]))

    assert response.status_code == 200
    assert f"audit event #{item.remediation_event}".encode() in response.content
    assert b"moved to sales" in response.content
    assert b"1 of 3" in response.content  # manager@example.org's completion


def test_the_print_page_holds_every_item(org, define, start, staff_client_for, actor):
    run = _decided_run(org, define, start, actor)
    client, _ = staff_client_for(roles.AUDITOR)

    response = client.get(reverse("admin:provisioning_campaignrun_print", args=[run.pk]))

    assert response.status_code == 200
    assert response.content.count(b"<tr>") >= 3 + 1


def test_the_csv_export_is_posted_and_recorded(org, define, start, staff_client_for, actor):
    run = _decided_run(org, define, start, actor)
    client, _ = staff_client_for(roles.AUDITOR)
    url = reverse("admin:provisioning_campaignrun_csv", args=[run.pk])

    assert client.get(url).status_code == 405
    response = client.post(url)

    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("item,person,person_id,access")
    assert len(lines) == 4
    assert "moved to sales" in body
    assert AuditEvent.objects.filter(action="audit.exported", data__report="access-review").exists()


def test_the_dashboard_shows_open_reviews_and_their_completion(
    org, define, start, staff_client_for, actor
):
    _decided_run(org, define, start, actor)
    client, _ = staff_client_for(roles.IT)

    response = client.get(reverse("admin:index"))

    assert b'id="panel-open_reviews"' in response.content
    assert b"Finance review" in response.content
    assert b"1 of 3" in response.content


def test_the_access_report_shows_each_grants_last_review(
    org, define, start, staff_client_for, actor
):
    run = start(define())
    item = run.items.get(grant=org["grants"]["ada-reporting"])
    review_decide_as_staff(
        user=StaffUserFactory(email="manager@example.org"),
        decisions=[ItemDecision(item.pk, "keep")],
        actor=actor,
    )
    client, _ = staff_client_for(roles.AUDITOR)

    response = client.get(reverse("admin:compliance_access_report"))

    assert f"keep on {timezone.now():%Y-%m-%d}".encode() in response.content
    assert response.content.count(b"never reviewed") == 2  # ada's Payroll, bob's Reporting


def test_the_add_form_starts_from_the_default_days(staff_client_for):
    client, _ = staff_client_for(roles.IT)

    page = client.get(ADD).content.decode()

    assert re.search(r'name="duration"[^>]*value="14"', page)
    assert re.search(r'name="reminder_interval"[^>]*value="3"', page)
