"""HR's onboarding in a real headless Chromium, as docs/hr-onboarding.md tells it: a dated
joiner with the preview's Back, then a batch of hires from a CSV file."""

import pytest
from playwright.sync_api import Browser, expect

from portal import roles
from provisioning.models import Person
from tests.e2e.test_access_request_flow import sign_in
from tests.factories import RoleFactory, RoleTemplateFactory, StaffUserFactory, TOTPDeviceFactory

pytestmark = pytest.mark.e2e

CSV = (
    "username,given name,family name,email,template,start date\n"
    "ada.lovelace,Ada,Lovelace,ada@example.org,Engineers,\n"
    "alan.turing,Alan,Turing,alan@example.org,engineers,2099-09-01\n"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hr_onboards_a_dated_joiner_and_a_batch(browser: Browser, live_server, tmp_path):
    hr = StaffUserFactory(roles=[roles.HR])
    device = TOTPDeviceFactory(user=hr)
    RoleTemplateFactory(
        name="Engineers", department="Engineering", roles=[RoleFactory(name="Laptop")]
    )
    page = browser.new_page()
    sign_in(page, live_server.url, hr, device)

    # One hire, starting later: the preview names them; Back keeps what was typed.
    page.goto(f"{live_server.url}/admin/provisioning/roletemplate/")
    page.get_by_role("link", name="Onboard a hire").first.click()
    page.select_option("select[name='template']", label="Engineers")
    page.get_by_label("Username").fill("nia.okafor")
    page.get_by_label("Given name").fill("Nia")
    page.get_by_label("Family name").fill("Okafor")
    page.get_by_label("E-mail address").fill("nia@example.org")
    page.get_by_label("Start date").fill("2099-03-02")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#summary")).to_contain_text("Nia Okafor")
    expect(page.locator("#summary")).to_contain_text("2 March 2099")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Username")).to_have_value("nia.okafor")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messagelist")).to_contain_text("their access begins on 2 March 2099")
    assert not Person.objects.get(user_name="nia.okafor").active

    # A batch from a CSV file: preview, then confirm.
    hires = tmp_path / "cohort.csv"
    hires.write_text(CSV, encoding="utf-8")
    page.goto(f"{live_server.url}/admin/provisioning/roletemplate/")
    page.get_by_role("link", name="Onboard a batch of hires").click()
    page.get_by_label("File of hires").set_input_files(hires)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#items")).to_contain_text("ada.lovelace")
    expect(page.locator("#items")).to_contain_text("2099-09-01")
    page.get_by_role("button", name="Onboard 2 hires").click()
    expect(page.locator(".messagelist")).to_contain_text("2 hires from cohort.csv are onboarded")
    assert Person.objects.get(user_name="ada.lovelace").grants.count() == 1
