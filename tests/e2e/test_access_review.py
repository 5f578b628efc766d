"""An access review end to end in a real headless Chromium: IT defines a campaign and
starts it in the admin; the manager decides item by item from the e-mailed link, the
fallback reviewer in bulk after a confirmation; one item is left to the deadline rule,
which beat applies; IT exports the report. The revoked access is gone downstream, in a
real scim2-server."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from portal import roles
from provisioning import tasks
from provisioning.models import AccessGrant, DownstreamAccount, ReviewItem
from tests.e2e.conftest import accessibility_problems, screenshot
from tests.e2e.test_access_request_flow import sign_in
from tests.factories import (
    AccessGrantFactory,
    PersonEmailFactory,
    PersonFactory,
    RoleFactory,
    StaffUserFactory,
    TOTPDeviceFactory,
)
from tests.provisioning.connectors.conftest import (  # noqa: F401 (fixtures)
    connector,
    downstream,
    running_server,
    scim_server,
)
from tests.provisioning.connectors.test_governance import grant, map_entitlement, members

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://\S+/reviews/\S+/")


def person(email, **fields):
    someone = PersonFactory(user_name=email, display_name=email.split("@")[0].title(), **fields)
    PersonEmailFactory(person=someone, value=email, primary=True)
    return someone


def link_for(address: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [address] and "Access review" in m.subject]
    found = LINK.search(message.body)
    assert found
    return found.group(0)


def decide_row(page: Page, item: ReviewItem, button: str, comment: str = "") -> None:
    row = page.locator(f"#item-{item.pk}")
    if comment:
        row.get_by_label("Comment").fill(comment)
    row.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("[role=status]")).to_contain_text("1 item decided")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_campaign_runs_from_definition_to_exported_report(
    browser: Browser,
    live_server,
    settings,
    tmp_path,
    actor,
    connector,  # noqa: F811
    downstream,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    settings.PORTAL_BASE_URL = live_server.url
    it = StaffUserFactory(roles=[roles.IT])
    device = TOTPDeviceFactory(user=it)
    StaffUserFactory(username="desk", email="desk@example.org")  # the fallback reviewer
    entitlement, mapping = map_entitlement(connector, actor)
    ledger = RoleFactory.create(name="Ledger", risk_level="high", entitlements=[entitlement])
    reporting = RoleFactory.create(name="Reporting")
    manager = person("manager@example.org")
    ada = person("ada@example.org", manager=manager)
    bob = person("bob@example.org", manager=manager)
    carol = person("carol@example.org")  # no manager: the fallback reviews her access
    grant(ada, ledger, actor, django_capture_on_commit_callbacks)
    ada_reporting = AccessGrantFactory(person=ada, role=reporting)
    bob_reporting = AccessGrantFactory(person=bob, role=reporting)
    carol_grants = [AccessGrantFactory(person=carol, role=role) for role in (ledger, reporting)]
    ada_account = DownstreamAccount.objects.get(person_id=ada.pk, connector=connector)
    assert ada_account.downstream_id in members(downstream, mapping)

    # IT defines the campaign and starts it.
    page = browser.new_page()
    sign_in(page, live_server.url, it, device)
    page.goto(f"{live_server.url}/admin/provisioning/campaign/add/")
    page.fill("input[name='name']", "Quarterly access review")
    page.select_option("select[name='reviewer_kind']", "manager")
    page.select_option("select[name='fallback_reviewer']", label="desk")
    page.select_option("select[name='on_undecided']", "revoke")
    screenshot(page, "review-define.png", tmp_path)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.get_by_role("link", name="Start now…").click()
    with django_capture_on_commit_callbacks(execute=True):
        page.get_by_role("button", name="Start the review").click()
        expect(page.locator(".messagelist")).to_contain_text("5 items frozen")
    items = {(i.person_id, i.role_id): i for i in ReviewItem.objects.all()}

    # The manager decides each of their items from the e-mailed link, without signing in.
    reviewer = browser.new_context().new_page()
    reviewer.goto(link_for("manager@example.org"))
    expect(reviewer.locator("h1")).to_contain_text("Quarterly access review")
    assert accessibility_problems(reviewer) == []
    screenshot(reviewer, "review-reviewer-page.png", tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        decide_row(reviewer, items[(ada.pk, ledger.pk)], "Revoke")
    decide_row(reviewer, items[(ada.pk, reporting.pk)], "Keep", comment="Runs month-end reports")
    # bob's Reporting is left for the deadline rule.

    # The fallback reviewer keeps carol's two items at once, after a confirmation.
    fallback = browser.new_context().new_page()
    fallback.goto(link_for("desk@example.org"))
    for role in (ledger, reporting):
        fallback.locator(f"#item-{items[(carol.pk, role.pk)].pk} input[type=checkbox]").check()
    fallback.get_by_label("Keep them all").check()
    fallback.locator("#bulk-comment").fill("Carol covers both until the audit")
    fallback.get_by_role("button", name="Decide selected…").click()
    expect(fallback.locator("h1")).to_contain_text("Keep 2 items?")
    screenshot(fallback, "review-bulk-confirm.png", tmp_path)
    fallback.get_by_role("button", name="Yes, keep 2 items").click()
    expect(fallback.locator("[role=status]")).to_contain_text("2 items decided")

    # At the deadline, beat applies the campaign's rule to what is left undecided.
    later = time_machine.travel(timezone.now() + timedelta(days=15))
    with later, django_capture_on_commit_callbacks(execute=True):
        outcome = tasks.reviews_deadline.delay().get(timeout=30)
    assert (outcome["revoked"], outcome["closed"]) == (1, 1)

    # IT reads the report and exports it.
    run = ReviewItem.objects.first().run
    page.goto(f"{live_server.url}/admin/provisioning/campaignrun/{run.pk}/report/")
    expect(page.locator(".review-items")).to_contain_text("Runs month-end reports")
    screenshot(page, "review-report.png", tmp_path)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export as CSV").click()
    exported = download.value.path().read_text()
    assert len(exported.strip().splitlines()) == 1 + 5

    # What was revoked is gone, here and downstream; what was kept stays.
    assert AccessGrant.objects.get(person=ada, role=ledger).status == "revoked"
    assert AccessGrant.objects.get(pk=bob_reporting.pk).status == "revoked"
    assert AccessGrant.objects.get(pk=ada_reporting.pk).status == "active"
    assert {g.status for g in AccessGrant.objects.filter(pk__in=[g.pk for g in carol_grants])} == {
        "active"
    }
    assert ada_account.downstream_id not in members(downstream, mapping)
