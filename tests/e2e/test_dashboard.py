"""A privacy officer from the demo data signs in through the real login form (password,
then a TOTP code) in Chromium, lands on the dashboard, and the README's screenshot is
taken from it."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from compliance.audit.actor import Actor
from compliance.incidents.models import Incident
from compliance.incidents.services import finding_raise, finding_triage_breach

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
USERNAME, PASSWORD = "privacy", "demo-privacy-portal"  # as seed_demo prints them


def current_code(username: str) -> str:
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def test_privacy_officer_signs_in_and_lands_on_the_dashboard(live_server, page: Page, tmp_path):
    call_command("seed_demo", stdout=StringIO())
    finding, _ = finding_raise(
        kind=Incident.Kind.SCIM_AUTH_FAILURES,
        summary="24 failed SCIM authentications in 5 minutes",
        details={"count": 24},
        actor=Actor.system("e2e"),
    )
    finding_triage_breach(finding=finding, actor=Actor.system("e2e"))

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_auth-username", USERNAME)
    page.fill("#id_auth-password", PASSWORD)
    page.get_by_role("button", name="Next").click()
    page.fill("#id_token-otp_token", current_code(USERNAME))
    page.get_by_role("button", name="Next").click()

    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.locator("#panel-open_incidents")).to_contain_text("24 failed SCIM")
    expect(page.locator("#panel-provisioning_activity svg rect.bar").first).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).fontFamily")  # admin CSS is served
    # The README's copy is replaced only when asked, so a test run leaves the checkout clean.
    screenshot = README_SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / "d.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
