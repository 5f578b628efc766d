"""The requester downloads their own export package from the link in the completion
notice: GET shows what it is, POST downloads it and is recorded as a download by the
requester; the link expires, allows a few downloads, and stops once the subject is erased.
The package stays encrypted at rest and the link is kept nowhere readable."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.models import ExportPackage, RequesterDownloadLink
from portal import roles
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db

CONTACT = "requester@example.org"
LINK = re.compile(r"(http\S+/privacy/download/\S+/)")


def step(request, name):
    return reverse("admin:compliance_dsar_step", args=[request.pk, name])


@pytest.fixture
def officer(staff_client_for):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    return client


def export_closed(officer, actor, capture, *, regulation="gdpr"):
    """An access request exported and closed by the officer: the completion notice is
    the last e-mail sent."""
    person = PersonEmailFactory().person
    request = services.request_receive(
        actor=actor, regulation=regulation, type="access", person=person, contact_email=CONTACT
    )
    services.request_verify(actor=actor, request=request, method="hr-record")
    for name in ("export", "close"):
        with capture(execute=True):
            response = officer.post(step(request, name), {"confirm": "on"})
        assert response.status_code == 302
    return request


@pytest.fixture
def closed_export(officer, actor, django_capture_on_commit_callbacks):
    return export_closed(officer, actor, django_capture_on_commit_callbacks)


def emailed_link() -> str:
    completion = mail.outbox[-1]
    assert "is complete" in completion.subject
    (link,) = set(LINK.findall(completion.body))
    assert link in completion.alternatives[0][0]
    return str(link)


def test_the_completion_notice_links_to_a_page_that_downloads_the_package(
    client, closed_export, django_assert_max_num_queries
):
    link = emailed_link()

    with django_assert_max_num_queries(1):  # the link, its package and request, joined
        page = client.get(link)

    assert page.status_code == 200
    assert "Download my data" in page.content.decode()
    assert "3 of 3" in page.content.decode()
    assert not AuditEvent.objects.filter(action="dsar.package_downloaded").exists()

    response = client.post(link)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response.content[:2] == b"PK"
    event = AuditEvent.objects.get(action="dsar.package_downloaded")
    assert (event.actor_kind, event.actor_id, event.channel) == (
        "system",
        "requester",
        "email-link",
    )
    assert RequesterDownloadLink.objects.get().downloads == 1


def test_the_request_page_shows_the_officer_how_the_requesters_link_was_used(
    client, officer, closed_export
):
    client.post(emailed_link())

    page = officer.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[closed_export.pk])
    ).content.decode()

    assert "The requester's own link" in page
    assert "1 of 3 downloads used" in " ".join(page.split())


def test_the_package_stays_encrypted_and_the_link_is_kept_only_hashed(client, closed_export):
    link = emailed_link()
    package = ExportPackage.objects.get()

    assert packages.package_path(package).read_bytes()[:2] != b"PK"
    stored = RequesterDownloadLink.objects.get()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in stored.nonce_hash
    assert AuditEvent.objects.filter(action="dsar.download_link_issued").count() == 1


def test_the_link_is_used_up_after_the_downloads_it_allows(client, settings, closed_export):
    link = emailed_link()
    for _ in range(3):
        assert client.post(link).status_code == 200

    refused = client.post(link)

    assert refused.status_code == 410
    assert "used for the 3 downloads it allows" in refused.content.decode()
    assert client.get(link).status_code == 410
    assert AuditEvent.objects.filter(action="dsar.package_downloaded").count() == 3


def test_the_number_of_downloads_is_configurable(
    client, settings, officer, actor, django_capture_on_commit_callbacks
):
    settings.DSAR_REQUESTER_DOWNLOADS = 1
    export_closed(officer, actor, django_capture_on_commit_callbacks, regulation="ccpa")
    link = emailed_link()
    assert "for 1 download." in " ".join(mail.outbox[-1].body.split())

    assert client.post(link).status_code == 200
    assert client.post(link).status_code == 410


def test_the_link_expires_after_the_configured_days(client, settings, closed_export):
    link = emailed_link()
    assert settings.DSAR_REQUESTER_LINK_DAYS == 7

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        page = client.get(link)
        refused = client.post(link)

    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert refused.status_code == 410
    assert not AuditEvent.objects.filter(action="dsar.package_downloaded").exists()


def test_the_link_never_outlives_the_package(
    client, settings, officer, actor, django_capture_on_commit_callbacks
):
    settings.DSAR_REQUESTER_LINK_DAYS = 365
    export_closed(officer, actor, django_capture_on_commit_callbacks)

    assert RequesterDownloadLink.objects.get().expires_at == ExportPackage.objects.get().expires_at


def test_the_link_stops_once_the_subject_is_erased(
    client, officer, actor, closed_export, django_capture_on_commit_callbacks
):
    link = emailed_link()
    deletion = services.request_receive(
        actor=actor,
        regulation="gdpr",
        type="deletion",
        person=closed_export.person,
        contact_email=CONTACT,
    )
    services.request_verify(actor=actor, request=deletion, method="hr-record")
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(step(deletion, "erase"), {"confirm": "on"}).status_code == 302

    page = client.get(link)
    refused = client.post(link)

    assert page.status_code == 410
    assert "no longer kept" in page.content.decode()
    assert refused.status_code == 410
    assert not AuditEvent.objects.filter(action="dsar.package_downloaded").exists()


def test_a_tampered_link_shows_a_clear_page(client, closed_export):
    link = emailed_link()

    response = client.get(link[:-5] + "xxxx/")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
