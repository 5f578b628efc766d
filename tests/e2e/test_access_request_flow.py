"""The whole access story in a real headless Chromium: HR signs in with a password and a
TOTP code, onboards a hire from a template, requests a role for them; the approver opens
the e-mailed link and approves; the grant shows with its expiry; after its expiry the
beat task has ended it."""

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import formats, timezone, translation
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect

from portal import roles
from provisioning import tasks
from provisioning.models import AccessGrant, Person
from tests.e2e.conftest import accessibility_problems, ids_shown, screenshot
from tests.factories import (
    STAFF_PASSWORD,
    RoleFactory,
    RoleTemplateFactory,
    StaffUserFactory,
    TOTPDeviceFactory,
)

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://\S+/approvals/\S+/")


def sign_in(page: Page, base: str, user: Any, device: Any) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("input[name='auth-username']", user.username)
    page.fill("input[name='auth-password']", STAFF_PASSWORD)
    page.get_by_role("button", name="Next").click()
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    page.fill("input[name='token-otp_token']", code)
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#site-name")).to_be_visible()


# Flushing after a transactional test would drop the staff roles the migrations created;
# serialized_rollback puts them back for the tests that follow. The browser is
# pytest-playwright's (tests/e2e/conftest.py): a Playwright of the test's own failed to
# start after another e2e test, whose Playwright's event loop was still running.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hire_gets_a_role_by_emailed_approval_until_it_expires(
    browser: Browser, live_server, settings, tmp_path
):
    settings.PORTAL_BASE_URL = live_server.url
    hr = StaffUserFactory(roles=[roles.HR])
    device = TOTPDeviceFactory(user=hr)
    owner = StaffUserFactory(email="owner@example.org")
    RoleTemplateFactory(
        name="Engineers", department="Engineering", roles=[RoleFactory(name="Laptop")]
    )
    payroll = RoleFactory(name="Payroll", owner=owner, max_duration=timedelta(days=30))

    page = browser.new_page()
    sign_in(page, live_server.url, hr, device)

    # Onboard a hire from the template: preview, then confirm.
    page.goto(f"{live_server.url}/admin/provisioning/roletemplate/onboard/")
    page.select_option("select[name='template']", label="Engineers")
    page.fill("input[name='user_name']", "new.hire")
    page.fill("input[name='given_name']", "Nia")
    page.fill("input[name='family_name']", "Okafor")
    page.fill("input[name='email']", "nia@example.org")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("Laptop")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messagelist")).to_contain_text("is onboarded from Engineers")
    hire = Person.objects.get(user_name="new.hire")

    # Request a role for the hire.
    page.goto(
        f"{live_server.url}/admin/provisioning/accessrequest/add/"
        f"?person={hire.pk}&role={payroll.pk}"
    )
    page.fill("textarea[name='justification']", "Runs payroll while Sam is on leave")
    page.fill("input[name='days']", "5")
    page.get_by_role("button", name="Request").click()
    expect(page.locator(".messagelist")).to_contain_text("first approver has been e-mailed")
    expect(page.locator("#content-main")).to_contain_text("Payroll for Nia Okafor: stage 1")
    assert ids_shown(page) == []

    # The approver opens the e-mailed link, without signing in, and approves.
    (message,) = [m for m in mail.outbox if m.to == ["owner@example.org"]]
    link = LINK.search(message.body).group(0)
    approver = browser.new_context().new_page()
    approver.goto(link)
    expect(approver.locator("body")).to_contain_text("Runs payroll while Sam is on leave")
    assert ids_shown(approver) == []
    assert accessibility_problems(approver) == []
    screenshot(approver, "approver-decides.png", tmp_path)
    approver.get_by_role("button", name="Approve").click()
    expect(approver.locator("h1")).to_have_text("Thank you")
    assert accessibility_problems(approver) == []

    # The grant shows in the admin with its expiry.
    grant = AccessGrant.objects.get(person=hire, role__name="Payroll")
    assert grant.expires_at is not None
    with translation.override(settings.LANGUAGE_CODE):
        shown = formats.localize(timezone.template_localtime(grant.expires_at))
    grants_page = f"{live_server.url}/admin/provisioning/accessgrant/?source__exact=request"
    page.goto(grants_page)
    row = page.locator("#result_list tbody tr", has_text="Payroll")
    expect(row.locator("td.field-status")).to_have_text("Active")
    expect(row.locator("td.field-expires_at")).to_have_text(shown)
    assert ids_shown(page) == []

    # After its expiry the beat task ends it, and the admin shows it gone.
    with time_machine.travel(grant.expires_at + timedelta(seconds=30)):
        assert tasks.grants_expire.delay().get(timeout=30) == 1  # done before the page loads
        page.goto(f"{grants_page}&status__exact=active")
        expect(page.locator("#result_list")).to_have_count(0)
        page.goto(grants_page)
        expect(row.locator("td.field-status")).to_have_text("Expired")
