"""A privacy officer in Chromium, through the real MFA login, works an access request end
to end with no UUID, JSON or command line: logs it (the person picked by name, received
yesterday afternoon, the requester's contact and channel), acknowledges it, e-mails a
one-time code and enters the one the requester sent back, verifies to a reasonably high
degree, runs the export, downloads the package and closes the request, each notice e-mailed.
The requester then downloads their copy themselves from the link in the completion notice.
Every page passes axe-core's serious and critical WCAG checks."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from compliance.audit.models import AuditEvent
from compliance.dsar.models import DataSubjectRequest
from provisioning.models import Person
from tests.e2e.conftest import accessibility_problems, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CONTACT = "requester@example.org"


def pick(page: Page, field_id: str, search: str) -> None:
    """Pick from the admin's autocomplete (select2): open it, type, take the first match."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill(search)
    page.locator(".select2-results__option--highlighted").first.click()


def step(page: Page, label: str, fill: dict[str, str] | None = None) -> None:
    """Open a step from the request's page, fill its form, confirm it."""
    page.get_by_role("link", name=label).click()
    for field, value in (fill or {}).items():
        page.get_by_label(field, exact=True).fill(value)
    page.get_by_label("I confirm").check()
    assert accessibility_problems(page) == []
    # Wait for the confirmation's POST and its redirect back to the request: a reload or a
    # click on the page before then would land on a page that is going away.
    with page.expect_navigation():
        page.locator("#content form").get_by_role("button").first.click()


def test_privacy_officer_logs_verifies_fulfils_notifies_and_closes(
    live_server, page: Page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the package is written here, not in the checkout
    settings.PORTAL_BASE_URL = live_server.url  # where the e-mailed links point
    call_command("seed_demo", stdout=StringIO())
    person = Person.objects.filter(emails__isnull=False).order_by("user_name").first()
    assert person is not None
    sign_in(page, live_server.url, "privacy")

    # Log: the person by name, when it arrived, how, and where to answer.
    page.goto(f"{live_server.url}/admin/compliance/datasubjectrequest/add/")
    page.get_by_label("Regulation").select_option(label="GDPR")
    page.get_by_label("Type").select_option(value="access")
    page.get_by_label("Channel").select_option(label="e-mail")
    yesterday = timezone.localdate() - timedelta(days=1)
    page.locator("#id_received_at_0").fill(yesterday.isoformat())
    page.locator("#id_received_at_1").fill("15:30")
    pick(page, "id_person", person.display_name)
    page.get_by_label("Requester's contact e-mail").fill(CONTACT)
    assert accessibility_problems(page) == []
    screenshot(page, "dsar-log-request.png", tmp_path)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    request = DataSubjectRequest.objects.get()
    page.goto(f"{live_server.url}/admin/compliance/datasubjectrequest/{request.pk}/change/")

    # Acknowledge, then challenge: the officer reads the code from the requester's reply.
    step(page, "Send the acknowledgement")
    expect(page.locator(".messagelist")).to_contain_text("Acknowledgement sent")
    step(page, "E-mail a one-time code")
    challenge = next(message for message in mail.outbox if "verification code" in message.subject)
    code = re.search(r"^\s+(\d{6})$", challenge.body, re.MULTILINE).group(1)
    page.get_by_role("link", name="Enter the code the requester sent back").click()
    page.get_by_label("One-time code").fill(code)
    page.locator("#content form").get_by_role("button").first.click()
    expect(page.locator(".messagelist")).to_contain_text("The code matches")

    # Verify: control of the address, two more data points and a signed declaration.
    page.get_by_role("link", name="Verify the requester's identity").click()
    page.get_by_label("Method").select_option(value="email-challenge")
    for point in ("controls the e-mail address", "employee number", "start date"):
        page.get_by_label(re.compile(point)).check()
    page.get_by_label("Signed declaration received").check()
    page.get_by_label("I confirm").check()
    assert accessibility_problems(page) == []
    screenshot(page, "dsar-verify.png", tmp_path)
    page.locator("#content form").get_by_role("button").first.click()
    expect(page.locator(".messagelist")).to_contain_text("reasonably high degree")

    # Fulfil: the export runs (in-process here), the package downloads from the page.
    step(page, "Run the export")
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("^Download package")).click()
    assert download.value.path().read_bytes()[:2] == b"PK"
    assert accessibility_problems(page) == []
    screenshot(page, "dsar-fulfilled.png", tmp_path)

    # Notify and close: the completion notice says how to get the copy.
    step(page, "Close the request")
    expect(page.locator(".messagelist")).to_contain_text("Request closed and the requester told")
    expect(page.locator("#content")).to_contain_text("Completion")
    assert accessibility_problems(page) == []
    screenshot(page, "dsar-closed.png", tmp_path)
    reference = str(request.pk)[:8].upper()
    notices = [message for message in mail.outbox if reference in message.subject]
    assert [message.to for message in notices] == [[CONTACT]] * 3
    assert "We received your data-protection request" in notices[0].subject
    assert "is complete" in notices[2].subject

    # The requester, signed out, opens the completion notice's link and downloads.
    link = re.search(r"(http\S+/privacy/download/\S+/)", notices[2].body).group(1)
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("body")).to_contain_text("Downloads left")
    assert accessibility_problems(page) == []
    screenshot(page, "dsar-requester-download.png", tmp_path)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    assert download.value.path().read_bytes()[:2] == b"PK"
    assert AuditEvent.objects.filter(
        action="dsar.package_downloaded", actor_id="requester"
    ).exists()
