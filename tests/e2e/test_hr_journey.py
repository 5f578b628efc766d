"""HR's day in Chromium, through the real MFA login: onboard a hire from a template,
schedule their offboarding, then cancel it. Every page passes axe-core's serious and
critical WCAG checks, and the key pages are the HR guide's screenshots."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from provisioning.models import Person, ScheduledOffboarding
from tests.e2e.conftest import accessibility_problems, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_hr_onboards_schedules_an_offboarding_and_cancels_it(live_server, page: Page, tmp_path):
    call_command("seed_demo", stdout=StringIO())
    sign_in(page, live_server.url, "hr")
    assert accessibility_problems(page) == []

    # Onboard a hire from the Engineering template.
    page.goto(f"{live_server.url}/admin/provisioning/roletemplate/onboard/")
    page.get_by_label("Template").select_option(label="Engineering")
    page.get_by_label("Username").fill("mira.okafor")
    page.get_by_label("Given name").fill("Mira")
    page.get_by_label("Family name").fill("Okafor")
    page.get_by_label("E-mail address").fill("mira.okafor@example.org")
    assert accessibility_problems(page) == []
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("GitHub developer")
    assert accessibility_problems(page) == []
    screenshot(page, "hr-onboarding-preview.png", tmp_path)
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messagelist")).to_contain_text("Mira Okafor is onboarded")
    expect(page.locator("#person-hub")).to_contain_text("GitHub developer")
    assert accessibility_problems(page) == []
    screenshot(page, "hr-person-page.png", tmp_path)

    # Schedule their offboarding: the confirmation previews what they will lose.
    page.goto(f"{live_server.url}/admin/provisioning/person/?q=mira.okafor")
    page.get_by_role("checkbox", name="Select this object for an action - Mira Okafor").check()
    page.get_by_label("Action:").select_option("offboard")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#content")).to_contain_text("GitHub developer")
    last_day = timezone.localdate() + timedelta(days=14)
    page.get_by_label("Reason").fill("Moves to a partner company")
    page.get_by_label("Last day").fill(last_day.isoformat())
    assert accessibility_problems(page) == []
    screenshot(page, "hr-offboarding-preview.png", tmp_path)
    page.get_by_role("button", name="Offboard").click()
    expect(page.locator(".messagelist")).to_contain_text(f"scheduled for {last_day:%d %B %Y}")

    # Call it off from Scheduled offboardings.
    page.goto(f"{live_server.url}/admin/provisioning/scheduledoffboarding/")
    page.locator("input[name=_selected_action]").first.check()
    page.get_by_label("Action:").select_option("cancel")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("Stays after all")
    assert accessibility_problems(page) == []
    page.get_by_role("button", name="Cancel the offboardings").click()
    expect(page.locator(".messagelist")).to_contain_text("Offboarding cancelled")
    screenshot(page, "hr-offboarding-cancelled.png", tmp_path)

    mira = Person.objects.get(user_name="mira.okafor")
    assert mira.active
    assert ScheduledOffboarding.objects.get(person=mira).status == "cancelled"
