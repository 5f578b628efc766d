"""An auditor in Chromium, through the real MFA login: finds a person's events in the
trail by name, reads names and plain actions instead of ids, opens their history and
exports the selection, then picks the person by name on the access report. Every page
passes axe-core's serious and critical WCAG checks, and none shows a UUID."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from provisioning.models import Person
from tests.e2e.conftest import accessibility_problems, ids_shown, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_auditor_searches_the_trail_by_name_and_exports_it(live_server, page: Page, tmp_path):
    call_command("seed_demo", stdout=StringIO())
    person = Person.objects.order_by("user_name").first()
    assert person is not None
    sign_in(page, live_server.url, "auditor")
    # The oldest approval reads as one sentence: "Payroll for Ada, waiting since ...".
    oldest = page.locator(".pending-oldest").inner_text()
    assert "\n," not in oldest
    assert ", waiting since" in oldest
    assert ids_shown(page) == []

    page.goto(f"{live_server.url}/admin/compliance/auditevent/")
    page.get_by_role("textbox", name="Search").fill(str(person))
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text(str(person))
    expect(rows.filter(has_text="person created")).to_have_count(1)
    assert ids_shown(page) == []
    assert accessibility_problems(page) == []
    screenshot(page, "auditor-search-by-name.png", tmp_path)

    with page.expect_download() as download:
        page.get_by_label("Export this selection as").select_option(label="CSV")
        page.get_by_role("button", name="Export").click()
    exported = download.value.path().read_text()
    assert person.user_name in exported

    rows.first.get_by_role("link", name=str(person)).click()
    expect(page.locator("#content")).to_contain_text("Person created")
    assert ids_shown(page) == []
    assert accessibility_problems(page) == []
    screenshot(page, "auditor-identity-history.png", tmp_path)

    # The access report's person filter is a picker searched by name, not a box for an id.
    page.goto(f"{live_server.url}/admin/compliance/auditevent/reports/access/")
    page.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill(person.user_name)
    page.locator(".select2-results__option", has_text=str(person)).first.click()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#result_list tbody tr").first).to_contain_text(str(person))
    assert ids_shown(page) == []
    assert accessibility_problems(page) == []
