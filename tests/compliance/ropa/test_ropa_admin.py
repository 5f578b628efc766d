"""The record of processing in the admin: read by privacy officers and auditors, with
the connectors as processors, and downloaded (a POST, recorded) as CSV, JSON or HTML."""

import csv
import io
import json

import pytest
from django.core import checks
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from compliance.checks import ropa_controller_declared
from compliance.ropa import Safeguard
from portal import roles
from provisioning.connectors import services
from provisioning.connectors.models import Connector
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

PAGE = "admin:compliance_recordofprocessing_changelist"
DOWNLOAD = "admin:compliance_recordofprocessing_download"


def connect(actor, name: str, **processor) -> Connector:
    connector = Connector(
        application_id=ApplicationFactory(name=name).pk,
        base_url=f"https://{name.lower()}.example.com/scim/v2",
        attributes=["userName", "active"],
        **processor,
    )
    return services.connector_create(actor=actor, connector=connector, secret="token")


@pytest.fixture
def slack(actor) -> Connector:
    return connect(
        actor,
        "Slack",
        processor="Slack Technologies, LLC",
        processor_country="United States",
        transfer_safeguard=Safeguard.SCCS,
    )


@pytest.fixture
def officer(staff_client_for):
    return staff_client_for(roles.PRIVACY_OFFICER)[0]


@pytest.mark.parametrize("role", [roles.PRIVACY_OFFICER, roles.AUDITOR])
def test_privacy_officers_and_auditors_read_the_record(staff_client_for, role):
    client, _ = staff_client_for(role)

    response = client.get(reverse(PAGE))

    assert response.status_code == 200
    assert "Records of processing activities" in response.content.decode()


@pytest.mark.parametrize("role", [roles.HR, roles.IT, roles.APPROVER])
def test_other_roles_may_not(staff_client_for, role):
    client, _ = staff_client_for(role)

    assert client.get(reverse(PAGE)).status_code == 403


def test_each_connector_is_a_processor_and_outside_the_eea_a_transfer(officer, actor, slack):
    connect(
        actor,
        "Workday",
        processor="Workday Ltd",
        processor_country="Ireland",
        transfer_safeguard=Safeguard.NOT_A_TRANSFER,
    )

    page = officer.get(reverse(PAGE)).content.decode()

    assert "Slack Technologies, LLC" in page
    assert "Workday Ltd" in page
    assert "standard contractual clauses (Art. 46(2)(c))" in page
    transfers = page.split("Transfers to third countries:")[1]
    assert "Slack Technologies, LLC (Slack), United States" in transfers
    assert "Workday" not in transfers


def test_a_connector_without_a_processor_says_so(officer, actor):
    connect(actor, "GitHub")

    page = officer.get(reverse(PAGE)).content.decode()

    assert "not declared: set it on the connector" in page


def test_the_page_reads_a_fixed_number_of_queries(officer, actor, django_assert_max_num_queries):
    for name in ("GitHub", "Salesforce", "Workday", "Slack", "NetSuite"):
        connect(actor, name, processor=f"{name} Inc.", processor_country="United States")

    with django_assert_max_num_queries(12):
        response = officer.get(reverse(PAGE))

    assert response.content.decode().count(" Inc.</td>") == 5


def test_placeholders_are_pointed_out_on_the_page(officer, settings):
    settings.ROPA_DPO_CONTACT = "portal@localhost"

    page = officer.get(reverse(PAGE)).content.decode()

    assert "Still placeholders: " in page
    assert "ROPA_DPO_CONTACT" in page


def test_a_download_by_get_changes_nothing(officer):
    before = AuditEvent.objects.count()

    assert officer.get(reverse(DOWNLOAD), {"format": "csv"}).status_code == 405
    assert AuditEvent.objects.count() == before


def test_the_csv_download_names_the_processors_and_is_recorded(officer, slack):
    response = officer.post(reverse(DOWNLOAD), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="records-of-processing-'
    )
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows
    assert {row["processors"] for row in rows} == {
        "Slack Technologies, LLC (Slack), United States: "
        "standard contractual clauses (Art. 46(2)(c))"
    }
    event = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert event.data["report"] == "records-of-processing"
    assert event.data["format"] == "csv"
    assert event.data["rows"] == len(rows)


def test_the_json_download_carries_processors_and_transfers(officer, slack):
    response = officer.post(reverse(DOWNLOAD), {"format": "json"})

    document = json.loads(b"".join(response.streaming_content))
    assert document["processors"] == [
        {
            "name": "Slack Technologies, LLC",
            "service": "Slack",
            "country": "United States",
            "safeguard": "standard contractual clauses (Art. 46(2)(c))",
        }
    ]
    assert len(document["transfers"]) == 1


def test_the_html_download_is_the_printable_page(officer, slack):
    response = officer.post(reverse(DOWNLOAD), {"format": "html"})

    page = b"".join(response.streaming_content).decode()
    assert "@media print" in page
    assert "Slack Technologies, LLC" in page


def test_an_unknown_format_is_an_error_message_not_a_file(officer):
    response = officer.post(reverse(DOWNLOAD), {"format": "pdf"}, follow=True)

    assert "Choose a format: CSV, JSON or HTML." in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_hr_may_not_download(staff_client_for):
    client, _ = staff_client_for(roles.HR)

    assert client.post(reverse(DOWNLOAD), {"format": "csv"}).status_code == 403


# --- manage.py check in production -------------------------------------------------------


def real_controller(settings) -> None:
    settings.ROPA_CONTROLLER_NAME = "Acme Widgets GmbH"
    settings.ROPA_CONTROLLER_CONTACT = "privacy@acme-widgets.de"
    settings.ROPA_DPO_CONTACT = "dpo@acme-widgets.de"


def test_production_refuses_a_placeholder_dpo_naming_the_setting(settings):
    real_controller(settings)
    settings.DEBUG = False
    settings.ROPA_DPO_CONTACT = "portal@localhost"

    (error,) = ropa_controller_declared()

    assert error.level == checks.ERROR
    assert error.id == "compliance.E004"
    assert error.msg.startswith("ROPA_DPO_CONTACT still holds a placeholder")


def test_production_refuses_the_default_controller_name(settings):
    real_controller(settings)
    settings.DEBUG = False
    settings.ROPA_CONTROLLER_NAME = "The organisation operating this portal"

    (error,) = ropa_controller_declared()

    assert "ROPA_CONTROLLER_NAME" in error.msg


def test_production_accepts_real_details(settings):
    real_controller(settings)
    settings.DEBUG = False

    assert ropa_controller_declared() == []


def test_development_accepts_placeholders(settings):
    settings.DEBUG = True
    settings.ROPA_CONTROLLER_NAME = "The organisation operating this portal"

    assert ropa_controller_declared() == []
