"""A privacy officer in Chromium, through the real MFA login, works each request type
beyond access and erasure as they would: logs it on the admin's add form (the person
picked by name, no UUID or JSON), sends the acknowledgement, verifies the requester's
identity, fulfils it on its own confirmation page and closes it, the requester told at each
notice: a correction, a restriction (and its lifting, with the banner on the person's
page), an objection upheld with its follow-up, and a CCPA opt-out. Every page passes
axe-core's serious and critical WCAG checks."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from compliance.dsar.models import DataSubjectRequest
from provisioning.models import Person
from tests.e2e.conftest import accessibility_problems, screenshot, sign_in
from tests.e2e.test_privacy_officer_journey import pick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CONTACT = "requester@example.org"


def logged(page: Page, base: str, regulation: str, type: str, *, verify: bool = True) -> Person:
    """A request about the first demo person, logged on the add form, acknowledged and
    (when its type needs it) verified, as the officer does; the page is left on it."""
    call_command("seed_demo", stdout=StringIO())
    person = Person.objects.order_by("user_name").first()
    assert person is not None
    sign_in(page, base, "privacy")
    page.goto(f"{base}/admin/compliance/datasubjectrequest/add/")
    page.get_by_label("Regulation").select_option(label=regulation)
    page.get_by_label("Type").select_option(value=type)
    page.get_by_label("Channel").select_option(label="e-mail")
    pick(page, "id_person", person.display_name)
    page.get_by_label("Requester's contact e-mail").fill(CONTACT)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.locator(".messagelist a").click()

    page.get_by_role("link", name="Send the acknowledgement").click()
    confirm(page, "Send the acknowledgement")
    if verify:
        page.get_by_role("link", name="Verify the requester's identity").click()
        page.get_by_label("Method").select_option(value="hr-record")
        confirm(page, "Verify the requester's identity")
    return person


def confirm(page: Page, button: str) -> None:
    page.get_by_label("I confirm").check()
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def close(page: Page) -> None:
    """Close the request: the completion notice goes to the requester, after the
    acknowledgement."""
    page.get_by_role("link", name="Close the request").click()
    confirm(page, "Close the request")
    expect(page.locator("#content")).to_contain_text("closed")
    request = DataSubjectRequest.objects.filter(status="closed").latest("closed_at")
    reference = str(request.pk)[:8].upper()
    subjects = [message.subject for message in mail.outbox if reference in message.subject]
    assert "We received your data-protection request" in subjects[0]
    assert "is complete" in subjects[-1]
    assert all(message.to == [CONTACT] for message in mail.outbox if reference in message.subject)


def test_privacy_officer_corrects_a_persons_name(live_server, page: Page, tmp_path):
    person = logged(page, live_server.url, "GDPR", "correction")

    page.get_by_role("link", name="Correct the person's data").click()
    page.get_by_label("Family name").fill("Lovelace-King")
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-correction.png", tmp_path)
    confirm(page, "Correct the person's data")
    close(page)

    person.refresh_from_db()
    assert person.family_name == "Lovelace-King"


def test_privacy_officer_restricts_and_lifts(live_server, page: Page, tmp_path):
    person = logged(page, live_server.url, "GDPR", "restriction")

    page.get_by_role("link", name="Restrict the processing").click()
    page.get_by_label("Ground").select_option(index=0)
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-restriction-confirm.png", tmp_path)
    confirm(page, "Restrict the processing")

    page.goto(f"{live_server.url}/admin/provisioning/person/{person.pk}/change/")
    expect(page.locator("#privacy-banner")).to_contain_text("Processing restricted since")
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-restricted-person.png", tmp_path)

    page.locator("#privacy-banner").get_by_role("link").click()
    close(page)
    page.get_by_role("link", name="Lift the restriction").click()
    page.get_by_label("Reason").fill("The person's data was confirmed accurate.")
    confirm(page, "Lift the restriction")

    person.refresh_from_db()
    assert person.restricted_at is None


def test_privacy_officer_upholds_an_objection_and_opens_a_restriction(
    live_server, page: Page, tmp_path
):
    logged(page, live_server.url, "GDPR", "objection")

    page.get_by_role("link", name="Decide the objection").click()
    page.get_by_label("upheld: the processing stops").check()
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-objection.png", tmp_path)
    confirm(page, "Decide the objection")
    page.get_by_role("link", name="Act on the upheld objection").click()
    page.get_by_label("a restriction of processing for this person").check()
    confirm(page, "Act on the upheld objection")
    close(page)

    assert DataSubjectRequest.objects.filter(type="restriction", status="verified").exists()


def test_privacy_officer_records_a_ccpa_opt_out(live_server, page: Page, tmp_path):
    # No verification: an opt-out of sale or sharing needs none (CCPA regulations §7026(d)).
    person = logged(page, live_server.url, "CCPA/CPRA", "sale-opt-out", verify=False)

    page.get_by_role("link", name="Record the person's choice").click()
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-ccpa-opt-out.png", tmp_path)
    confirm(page, "Record the person's choice")
    close(page)

    person.refresh_from_db()
    assert person.sale_opt_out_at is not None
