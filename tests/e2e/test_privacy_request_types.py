"""A privacy officer in Chromium, through the real MFA login, fulfils each request type
beyond access and erasure on its own confirmation page and closes it: a correction, a
restriction (and its lifting, with the banner on the person's page), an objection upheld
with its follow-up, and a CCPA opt-out. Every page passes axe-core's serious and critical
WCAG checks."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from compliance.audit.actor import Actor
from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest
from provisioning.models import Person
from tests.e2e.conftest import accessibility_problems, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ACTOR = Actor.system("e2e")


def logged(regulation: str, type: str, *, verify: bool = True) -> DataSubjectRequest:
    """A request about the first demo person, logged (and verified) as the officer would."""
    call_command("seed_demo", stdout=StringIO())
    person = Person.objects.order_by("user_name").first()
    assert person is not None
    request = services.request_receive(actor=ACTOR, regulation=regulation, type=type, person=person)
    if verify:
        request = services.request_verify(actor=ACTOR, request=request, method="hr-record")
    return request


def subject_of(request: DataSubjectRequest) -> Person:
    return Person.objects.get(data_subject_requests=request)


def open_request(page: Page, base: str, request: DataSubjectRequest) -> None:
    page.goto(f"{base}/admin/compliance/datasubjectrequest/{request.pk}/change/")


def confirm(page: Page, button: str) -> None:
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name=button).click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def close(page: Page) -> None:
    page.get_by_role("link", name="Close the request").click()
    confirm(page, "Close the request")
    expect(page.locator("#content")).to_contain_text("closed")


def test_privacy_officer_corrects_a_persons_name(live_server, page: Page, tmp_path):
    request = logged("gdpr", "correction")
    sign_in(page, live_server.url, "privacy")
    open_request(page, live_server.url, request)

    page.get_by_role("link", name="Correct the person's data").click()
    page.get_by_label("Family name").fill("Lovelace-King")
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-correction.png", tmp_path)
    confirm(page, "Correct the person's data")
    close(page)

    assert subject_of(request).family_name == "Lovelace-King"


def test_privacy_officer_restricts_and_lifts(live_server, page: Page, tmp_path):
    request = logged("gdpr", "restriction")
    sign_in(page, live_server.url, "privacy")
    open_request(page, live_server.url, request)

    page.get_by_role("link", name="Restrict the processing").click()
    page.get_by_label("Ground").select_option(index=0)
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-restriction-confirm.png", tmp_path)
    confirm(page, "Restrict the processing")

    page.goto(f"{live_server.url}/admin/provisioning/person/{request.person_id}/change/")
    expect(page.locator("#privacy-banner")).to_contain_text("Processing restricted since")
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-restricted-person.png", tmp_path)

    page.locator("#privacy-banner").get_by_role("link").click()
    close(page)
    page.get_by_role("link", name="Lift the restriction").click()
    page.get_by_label("Reason").fill("The person's data was confirmed accurate.")
    confirm(page, "Lift the restriction")

    assert subject_of(request).restricted_at is None


def test_privacy_officer_upholds_an_objection_and_opens_a_restriction(
    live_server, page: Page, tmp_path
):
    request = logged("gdpr", "objection")
    sign_in(page, live_server.url, "privacy")
    open_request(page, live_server.url, request)

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
    request = logged("ccpa", "sale-opt-out", verify=False)
    sign_in(page, live_server.url, "privacy")
    open_request(page, live_server.url, request)

    page.get_by_role("link", name="Record the person's choice").click()
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-ccpa-opt-out.png", tmp_path)
    confirm(page, "Record the person's choice")
    close(page)

    assert subject_of(request).sale_opt_out_at is not None
