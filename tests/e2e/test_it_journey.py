"""IT's day in Chromium, through the real MFA login: a role, a template that gives it, a
temporary grant by hand, a SCIM client with its token shown once, and a downstream
connector. Every page passes axe-core's serious and critical WCAG checks."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from provisioning.models import AccessGrant, Person, Role, RoleTemplate, ScimToken
from tests.e2e.conftest import accessibility_problems, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def choose(page: Page, field_id: str, search: str) -> None:
    """Pick from the admin's autocomplete (select2): open it, type, take the first match."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill(search)
    page.locator(".select2-results__option--highlighted").first.click()


def test_it_sets_up_a_role_template_grant_scim_client_and_connector(
    live_server, page: Page, tmp_path
):
    call_command("seed_demo", stdout=StringIO())
    hire = Person.objects.filter(department="Finance").order_by("user_name").first()
    assert hire is not None
    sign_in(page, live_server.url, "it")

    # A role: its owner approves requests; durations are in days.
    page.goto(f"{live_server.url}/admin/provisioning/role/add/")
    page.get_by_label("Name").fill("Data warehouse reader")
    page.get_by_label("Owner").select_option(label="it")
    page.get_by_label("Max duration").fill("30")
    page.locator("#id_entitlements_from").select_option(index=0)
    page.locator("#id_entitlements_add").click()
    assert accessibility_problems(page) == []
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Data warehouse reader")

    # A template that gives it to Finance; saving it says how to re-apply it.
    page.goto(f"{live_server.url}/admin/provisioning/roletemplate/add/")
    page.get_by_label("Name").fill("Finance analysts")
    page.get_by_label("Department").fill("Finance")
    page.locator("#id_roles_from").select_option(label="Data warehouse reader")
    page.locator("#id_roles_add").click()
    assert accessibility_problems(page) == []
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Finance analysts")

    # A temporary grant by hand, ending in a week.
    page.goto(f"{live_server.url}/admin/provisioning/accessgrant/add/")
    choose(page, "id_person", hire.user_name)
    page.locator("#id_role").select_option(label="Data warehouse reader")
    ends = timezone.localtime() + timedelta(days=7)
    page.get_by_label("Ends date").fill(ends.date().isoformat())
    page.get_by_label("Ends time").fill("17:00:00")
    page.get_by_label("Reason").fill("Quarter-end close")
    assert accessibility_problems(page) == []
    screenshot(page, "it-grant-by-hand.png", tmp_path)
    page.get_by_role("button", name="Grant").click()
    expect(page.locator(".messagelist")).to_be_visible()

    # A SCIM client for Entra ID, and its token shown once.
    page.goto(f"{live_server.url}/admin/provisioning/scimclient/add/")
    page.get_by_label("Name").fill("Entra ID")
    page.get_by_label("Agreed attribute profile").select_option("directory")
    assert accessibility_problems(page) == []
    screenshot(page, "it-scim-client.png", tmp_path)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("checkbox", name="Select this object for an action - Entra ID").check()
    page.get_by_label("Action:").select_option("issue_token")
    page.get_by_role("button", name="Go").click()
    page.get_by_role("button", name="Yes").click()
    expect(page.locator("#content")).to_contain_text("Entra ID")
    assert accessibility_problems(page) == []

    # The connector form: attributes by readable names.
    page.goto(f"{live_server.url}/admin/provisioning/connector/add/")
    expect(page.locator("#content")).to_contain_text("department (enterprise)")
    assert accessibility_problems(page) == []

    assert Role.objects.filter(name="Data warehouse reader").exists()
    assert RoleTemplate.objects.filter(name="Finance analysts", department="Finance").exists()
    grant = AccessGrant.objects.get(
        person=hire, role__name="Data warehouse reader", source="manual"
    )
    assert grant.expires_at is not None
    assert ScimToken.objects.filter(client__name="Entra ID").count() == 1
