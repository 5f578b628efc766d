"""An access review end to end in a real headless Chromium: IT gives the connected
application an owner, then defines a campaign reviewed by owners, with the downstream
accounts, and starts it in the admin; the roles' owner decides item by item from the
e-mailed link and then in bulk after a confirmation, the application's owner revokes an
account from theirs; one item is left to the deadline rule, which beat applies; IT exports
the report. The revoked access is gone downstream, in a real scim2-server."""

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
    lead = StaffUserFactory(username="lead", email="lead@example.org")  # owns the roles
    StaffUserFactory(username="slack-owner", email="slack-owner@example.org")
    entitlement, mapping = map_entitlement(connector, actor)
    ledger = RoleFactory.create(
        name="Ledger", risk_level="high", entitlements=[entitlement], owner=lead
    )
    reporting = RoleFactory.create(name="Reporting", owner=lead)
    ada = person("ada@example.org")
    bob = person("bob@example.org")
    carol = person("carol@example.org")
    grant(ada, ledger, actor, django_capture_on_commit_callbacks)
    ada_reporting = AccessGrantFactory(person=ada, role=reporting)
    bob_reporting = AccessGrantFactory(person=bob, role=reporting)
    carol_grants = [AccessGrantFactory(person=carol, role=role) for role in (ledger, reporting)]
    ada_account = DownstreamAccount.objects.get(person_id=ada.pk, connector=connector)
    assert ada_account.downstream_id in members(downstream, mapping)

    # IT names the connected application's owner.
    page = browser.new_page()
    sign_in(page, live_server.url, it, device)
    page.goto(
        f"{live_server.url}/admin/provisioning/application/{connector.application_id}/change/"
    )
    page.select_option("select[name='owner']", label="slack-owner")
    screenshot(page, "review-application-owner.png", tmp_path)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # IT defines the campaign, with the downstream accounts, and starts it.
    page.goto(f"{live_server.url}/admin/provisioning/campaign/add/")
    page.fill("input[name='name']", "Quarterly access review")
    page.check("input[name='accounts']")
    page.select_option("select[name='reviewer_kind']", "owner")
    page.select_option("select[name='fallback_reviewer']", label="desk")
    page.select_option("select[name='on_undecided']", "revoke")
    screenshot(page, "review-define.png", tmp_path)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.get_by_role("link", name="Start now…").click()
    with django_capture_on_commit_callbacks(execute=True):
        page.get_by_role("button", name="Start the review").click()
        expect(page.locator(".messagelist")).to_contain_text("6 items frozen")
    items = {(i.person_id, i.role_id): i for i in ReviewItem.objects.all()}

    # The roles' owner decides item by item from the e-mailed link, without signing in.
    reviewer = browser.new_context().new_page()
    reviewer.goto(link_for("lead@example.org"))
    expect(reviewer.locator("h1")).to_contain_text("Quarterly access review")
    assert accessibility_problems(reviewer) == []
    screenshot(reviewer, "review-reviewer-page.png", tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        decide_row(reviewer, items[(ada.pk, ledger.pk)], "Revoke")
    decide_row(reviewer, items[(ada.pk, reporting.pk)], "Keep", comment="Runs month-end reports")
    # bob's Reporting is left for the deadline rule.

    # Then keeps carol's two items at once, after a confirmation.
    for role in (ledger, reporting):
        reviewer.locator(f"#item-{items[(carol.pk, role.pk)].pk} input[type=checkbox]").check()
    reviewer.get_by_label("Keep them all").check()
    reviewer.locator("#bulk-comment").fill("Carol covers both until the audit")
    reviewer.get_by_role("button", name="Decide selected…").click()
    expect(reviewer.locator("h1")).to_contain_text("Keep 2 items?")
    screenshot(reviewer, "review-bulk-confirm.png", tmp_path)
    reviewer.get_by_role("button", name="Yes, keep 2 items").click()
    expect(reviewer.locator("[role=status]")).to_contain_text("2 items decided")

    # The application's owner reviews the account in it, and revokes it.
    account_item = ReviewItem.objects.get(kind="account", account=ada_account)
    owner = browser.new_context().new_page()
    owner.goto(link_for("slack-owner@example.org"))
    row = owner.locator(f"#item-{account_item.pk}")
    expect(row).to_contain_text("account in Slack")
    expect(row).to_contain_text("last used: unknown")
    assert accessibility_problems(owner) == []
    screenshot(owner, "review-account.png", tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        decide_row(owner, account_item, "Revoke")

    # At the deadline, beat applies the campaign's rule to what is left undecided.
    later = time_machine.travel(timezone.now() + timedelta(days=15))
    with later, django_capture_on_commit_callbacks(execute=True):
        outcome = tasks.reviews_deadline.delay().get(timeout=30)
    assert (outcome["revoked"], outcome["closed"]) == (1, 1)

    # IT reads the report and exports it.
    run = ReviewItem.objects.first().run
    page.goto(f"{live_server.url}/admin/provisioning/campaignrun/{run.pk}/report/")
    expect(page.locator(".review-items")).to_contain_text("Runs month-end reports")
    expect(page.locator(".review-items")).to_contain_text("account in Slack")
    screenshot(page, "review-report.png", tmp_path)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export as CSV").click()
    exported = download.value.path().read_text()
    assert len(exported.strip().splitlines()) == 1 + 6

    # What was revoked is gone, here and downstream; what was kept stays.
    assert AccessGrant.objects.get(person=ada, role=ledger).status == "revoked"
    assert AccessGrant.objects.get(pk=bob_reporting.pk).status == "revoked"
    assert AccessGrant.objects.get(pk=ada_reporting.pk).status == "active"
    assert {g.status for g in AccessGrant.objects.filter(pk__in=[g.pk for g in carol_grants])} == {
        "active"
    }
    assert ada_account.downstream_id not in members(downstream, mapping)
    assert downstream.user(ada_account.downstream_id)["active"] is False
