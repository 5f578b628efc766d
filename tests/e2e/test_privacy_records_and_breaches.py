"""A privacy officer in Chromium, through the real MFA login, reads the records of
processing and downloads it in each format (each download a POST, recorded in the audit
trail), then triages what the alert rules found: a burst of refused SCIM sign-ins opens a
finding, which becomes a breach with its 72-hour clock and its Art. 33(3) description; the
next finding is merged into that breach, and the one after is "not a breach", with the
reason. Every page passes axe-core's serious and critical WCAG checks."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from compliance import ropa
from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.incidents.models import Incident
from compliance.tasks import evaluate_alert_rules
from provisioning.connectors import services as connectors
from provisioning.connectors.models import Connector
from provisioning.models import Application
from tests.e2e.conftest import accessibility_problems, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BURST = 3  # refused sign-ins per burst, above the threshold set below


@pytest.fixture
def thresholds(settings):
    settings.ALERT_SCIM_AUTH_FAILURE_COUNT = BURST - 1
    settings.ALERT_SCIM_AUTH_FAILURE_MINUTES = 5
    settings.SCIM_AUTH_FAILURE_LIMIT = 100  # each refusal recorded, none throttled


def test_privacy_officer_reads_and_downloads_the_records_of_processing(
    live_server, page: Page, tmp_path
):
    call_command("seed_demo", stdout=StringIO())
    # Slack's connector, as IT declares it: a processor in the United States. Its scope is
    # the mapped groups, none yet, so nothing is pushed.
    connectors.connector_create(
        actor=Actor.system("e2e"),
        connector=Connector(
            application=Application.objects.get(name="Slack"),
            base_url="https://slack.example.com/scim/v2",
            attributes=["userName", "active"],
            processor="Slack Technologies, LLC",
            processor_country="United States",
            transfer_safeguard=ropa.Safeguard.SCCS,
        ),
        secret="token",
    )
    sign_in(page, live_server.url, "privacy")

    page.get_by_role("link", name="Records of processing activities").first.click()
    expect(page.locator("h1")).to_contain_text("Records of processing activities")
    expect(page.locator("#ropa-controller")).to_be_visible()
    expect(page.locator("#ropa-processors")).to_contain_text("Slack Technologies, LLC")
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-records-of-processing.png", tmp_path, full_page=False)

    downloaded = {}
    for name in ropa.FORMATS:
        page.get_by_label("Format").select_option(name)
        with page.expect_download() as download:
            page.locator("#ropa-download").get_by_role("button", name="Download").click()
        assert download.value.suggested_filename.endswith(f".{name}")
        downloaded[name] = download.value.path().read_text()
    activities = json.loads(downloaded["json"])["activities"]
    assert activities
    assert activities[0]["purpose"] in downloaded["csv"]
    assert "<table" in downloaded["html"]

    events = AuditEvent.objects.filter(
        action="audit.exported", data__report="records-of-processing"
    )
    assert sorted(event.data["format"] for event in events) == sorted(ropa.FORMATS)
    assert {event.actor_label for event in events} == {"privacy"}


def refused_sign_ins(page: Page, base: str) -> Incident:
    """A burst of SCIM requests with a wrong token, then the alert rules' beat task: the
    finding it opens."""
    evaluate_alert_rules()  # what the demo's history holds is looked at first
    before = set(Incident.objects.values_list("pk", flat=True))
    for _ in range(BURST):
        response = page.request.get(
            f"{base}/scim/v2/Users", headers={"Authorization": "Bearer not-a-token"}
        )
        assert response.status == 401
    assert evaluate_alert_rules() == 1
    return Incident.objects.exclude(pk__in=before).get()


def triage(page: Page, base: str, finding: Incident, outcome: str, **fill: str) -> None:
    page.goto(f"{base}/admin/compliance/finding/")
    page.get_by_role("link", name=finding.summary).click()
    page.get_by_role("link", name="Triage…").click()
    page.get_by_label(outcome).check()
    for label, value in fill.items():
        if label == "Breach":
            page.locator("#id_breach").select_option(label=value)
        else:
            page.get_by_label(label).fill(value)
    assert accessibility_problems(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Triage the finding").click()
    expect(page.locator(".messagelist")).to_contain_text("The finding is triaged.")


def test_privacy_officer_triages_findings_into_a_breach_a_merge_and_a_dismissal(
    live_server, page: Page, tmp_path, thresholds
):
    call_command("seed_demo", stdout=StringIO())
    sign_in(page, live_server.url, "privacy")
    base = live_server.url

    # A rule opens a finding; the officer reads it and triages it into a breach.
    first = refused_sign_ins(page, base)
    page.goto(f"{base}/admin/compliance/finding/")
    expect(page.locator("#result_list")).to_contain_text(first.summary)
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-findings.png", tmp_path)
    page.get_by_role("link", name=first.summary).click()
    page.get_by_role("link", name="Triage…").click()
    page.get_by_label("A personal-data breach: start the 72-hour clock now").check()
    page.get_by_label("Reason").fill("A client's old token kept trying: possible credential leak.")
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-finding-triage.png", tmp_path)
    with page.expect_navigation():
        page.get_by_role("button", name="Triage the finding").click()
    expect(page.locator(".messagelist")).to_contain_text("The finding is triaged.")

    # The breach: its Art. 33(3) description, then the clock on the list.
    page.goto(f"{base}/admin/compliance/breach/")
    page.get_by_role("link", name=first.summary).click()
    page.get_by_role("link", name="Describe (Art. 33, 34)…").click()
    for label, value in {
        "Nature of the breach": "Confidentiality: a leaked SCIM token was tried repeatedly.",
        "Categories of data subjects": "employees",
        "Approximate number of data subjects": "40",
        "Categories of personal data records": "names and work e-mail addresses",
        "Approximate number of records": "40",
        "Likely consequences": "none found: every attempt was refused",
        "Measures taken or proposed": "token revoked, client re-issued a new one",
        "DPO or other contact point": "dpo@example.org",
    }.items():
        page.get_by_label(label).fill(value)
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-breach-describe.png", tmp_path)
    with page.expect_navigation():
        page.get_by_role("button", name="Describe the breach").click()
    expect(page.locator("#content")).to_contain_text("names and work e-mail addresses")

    # The next burst is part of the same breach; the one after is not a breach.
    second = refused_sign_ins(page, base)
    breach_label = str(Incident.objects.get(pk=first.pk))
    triage(page, base, second, "Part of a breach already open", Breach=breach_label)
    third = refused_sign_ins(page, base)
    triage(
        page,
        base,
        third,
        "Not a personal-data breach",
        Reason="The identity provider's planned secret rotation; nothing was read.",
    )

    page.goto(f"{base}/admin/compliance/breach/")
    row = page.locator("#result_list tr", has_text=first.summary)
    expect(row.locator(".incident-countdown")).to_contain_text("2 d")
    assert accessibility_problems(page) == []
    screenshot(page, "privacy-breach-clock.png", tmp_path)

    breach = Incident.objects.get(pk=first.pk)
    assert (breach.stage, breach.aware_at is not None) == ("breach", True)
    assert (breach.subjects_approx, breach.records_approx) == (40, 40)
    assert Incident.objects.get(pk=second.pk).merged_into_id == breach.pk
    dismissed = Incident.objects.get(pk=third.pk)
    assert dismissed.stage == "not-breach"
    assert "planned secret rotation" in dismissed.triage_reason
    assert AuditEvent.objects.filter(action="incident.finding_triaged").count() == 3
