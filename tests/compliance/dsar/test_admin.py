"""Privacy officers work the queue in the admin; auditors only look."""

import re
from datetime import date

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.dsar import package as packages
from compliance.dsar import progress, services
from compliance.dsar.models import DataSubjectRequest, ExportPackage, LegalHold, Status
from portal import roles
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:compliance_datasubjectrequest_changelist")


def step(request, name):
    return reverse("admin:compliance_dsar_step", args=[request.pk, name])


def received(actor, type="access", **kwargs):
    person = PersonEmailFactory().person
    return services.request_receive(
        actor=actor, regulation="gdpr", type=type, person=person, **kwargs
    )


def verified(actor, type="access"):
    request = received(actor, type=type)
    return services.request_verify(actor=actor, request=request, method="hr-record")


def test_a_privacy_officer_logs_a_request_and_its_deadline_is_computed(staff_client_for):
    person = PersonEmailFactory().person

    with time_machine.travel("2028-01-31 09:00Z"):
        client, user = staff_client_for(roles.PRIVACY_OFFICER)
        response = client.post(
            reverse("admin:compliance_datasubjectrequest_add"),
            {
                "regulation": "gdpr",
                "type": "deletion",
                "channel": "email",
                "person": person.pk,
            },
        )

    assert response.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert (request.due_on, request.received_by) == (date(2028, 2, 29), user)
    assert AuditEvent.objects.get(action="dsar.received").actor_id == str(user.pk)


def test_logging_a_request_needs_a_person_or_identifiers(staff_client_for):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    response = client.post(
        reverse("admin:compliance_datasubjectrequest_add"),
        {"regulation": "gdpr", "type": "access", "channel": "email"},
    )

    assert response.status_code == 200
    assert "Choose the person" in str(response.context["adminform"].form.errors)
    assert not DataSubjectRequest.objects.exists()


def test_the_queue_highlights_overdue_requests(staff_client_for, actor):
    with time_machine.travel("2026-01-01 09:00Z"):
        received(actor)

    with time_machine.travel("2026-02-05 09:00Z"):
        client, _ = staff_client_for(roles.PRIVACY_OFFICER)
        page = client.get(QUEUE).content.decode()

    assert "overdue by 4 days" in page
    assert "#ba2121" in page


@pytest.mark.parametrize(("choice", "expected"), [("overdue", ["late"]), ("week", ["soon"])])
def test_the_queue_filters_overdue_and_due_this_week(staff_client_for, actor, choice, expected):
    made = {}
    for name, when in (("late", "2026-01-01"), ("soon", "2026-01-30"), ("later", "2026-02-20")):
        with time_machine.travel(f"{when} 09:00Z"):
            made[name] = received(actor).pk

    with time_machine.travel("2026-02-25 09:00Z"):
        client, _ = staff_client_for(roles.PRIVACY_OFFICER)
        response = client.get(QUEUE, {"deadline": choice})

    shown = [obj.pk for obj in response.context["cl"].result_list]
    assert shown == [made[name] for name in expected]


def test_opening_a_step_page_changes_nothing(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = received(actor)

    response = client.get(step(request, "verify"))

    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == Status.RECEIVED


def test_verifying_through_the_admin_needs_the_confirmation(staff_client_for, actor):
    client, user = staff_client_for(roles.PRIVACY_OFFICER)
    request = received(actor)

    unconfirmed = client.post(step(request, "verify"), {"method": "sso"})
    assert unconfirmed.status_code == 200
    client.post(step(request, "verify"), {"method": "sso", "confirm": "on"})

    request.refresh_from_db()
    assert (request.status, request.verified_by) == (Status.VERIFIED, user)


def test_running_an_export_makes_a_package_the_officer_can_download(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    client, user = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(step(request, "export"), {"confirm": "on"})

    package = ExportPackage.objects.get(request=request)
    page = client.get(reverse("admin:compliance_datasubjectrequest_change", args=[request.pk]))
    prefix = reverse("admin:compliance_dsar_download", args=["TOKEN"]).replace("TOKEN/", "")
    body = page.content.decode()
    link = re.search(f'action="({re.escape(prefix)}[^"]+)"', body)
    assert link is not None
    # The download form is not nested in the change form, whose submit it would become.
    change_form = body[body.index('id="datasubjectrequest_form"') :]
    assert "<form" not in change_form[: change_form.index("</form>")]
    assert 'form="dsar-download-1"' in change_form
    assert packages.package_from_token(link[1].removeprefix(prefix).strip("/")) == package
    assert client.get(link[1]).status_code == 405  # opening the link records nothing
    assert not AuditEvent.objects.filter(action="dsar.package_downloaded").exists()
    download = client.post(link[1])
    assert download.content.startswith(b"PK")
    assert AuditEvent.objects.get(action="dsar.package_downloaded").actor_id == str(user.pk)


def test_an_expired_download_link_is_refused(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(step(request, "export"), {"confirm": "on"})
    package = ExportPackage.objects.get(request=request)
    with time_machine.travel("2026-01-01 09:00Z"):
        token = packages.package_link_token(package)

    response = client.post(reverse("admin:compliance_dsar_download", args=[token]))

    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_forged_download_link_is_refused(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    token = signing.TimestampSigner(salt="other").sign("x")

    response = client.post(reverse("admin:compliance_dsar_download", args=[token]))

    assert response.status_code == 410


def test_an_erasure_under_legal_hold_shows_the_reason_as_a_form_error(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor, type="deletion")
    services.legal_hold_place(actor=actor, person=request.person, reason="case 42")

    response = client.post(step(request, "erase"), {"confirm": "on"})

    assert response.status_code == 200
    assert "case 42" in response.content.decode()


def test_running_an_erasure_offers_the_receipt(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor, type="deletion")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(step(request, "erase"), {"confirm": "on"})

    receipt = client.get(reverse("admin:compliance_dsar_receipt", args=[request.pk]))
    assert receipt.status_code == 200
    assert b'"steps"' in b"".join(receipt.streaming_content)


def test_the_status_view_reports_progress(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor)
    progress.request_start(request=request, label="collecting")
    progress.request_progress(request=request, percent=40, label="collected contacts")

    response = client.get(reverse("admin:compliance_dsar_status", args=[request.pk]))

    assert response.json() == {
        "status": "running",
        "progress": 40,
        "label": "collected contacts",
    }


def test_a_running_request_shows_a_polling_progress_bar(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor)
    progress.request_start(request=request, label="collecting")

    page = client.get(reverse("admin:compliance_datasubjectrequest_change", args=[request.pk]))

    html = page.content.decode()
    assert 'id="dsar-progress"' in html
    assert reverse("admin:compliance_dsar_status", args=[request.pk]) in html


def test_extending_and_denying_through_the_admin(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = received(actor)

    client.post(step(request, "extend"), {"months": 2, "reason": "volume", "confirm": "on"})
    client.post(step(request, "deny"), {"basis": "manifestly-unfounded", "confirm": "on"})

    request.refresh_from_db()
    assert request.extended_at is not None
    assert (request.status, request.denial_basis) == (Status.CLOSED, "manifestly-unfounded")


def test_the_auditor_sees_the_queue_but_takes_no_step(staff_client_for, actor):
    client, _ = staff_client_for(roles.AUDITOR)
    request = verified(actor)

    assert client.get(QUEUE).status_code == 200
    assert client.post(step(request, "export"), {"confirm": "on"}).status_code == 403
    assert not ExportPackage.objects.exists()


def test_the_auditor_cannot_download_a_package(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    officer, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor)
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(step(request, "export"), {"confirm": "on"})
    token = packages.package_link_token(ExportPackage.objects.get())
    auditor, _ = staff_client_for(roles.AUDITOR)

    assert auditor.post(reverse("admin:compliance_dsar_download", args=[token])).status_code == 403


def test_a_privacy_officer_places_and_lifts_a_legal_hold(staff_client_for):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    person = PersonEmailFactory().person

    client.post(
        reverse("admin:compliance_legalhold_add"), {"person": person.pk, "reason": "case 7"}
    )
    hold = LegalHold.objects.get()
    changelist = reverse("admin:compliance_legalhold_changelist")
    confirm = client.post(changelist, {"action": "lift", "_selected_action": [hold.pk]})
    assert b"Yes, lift them" in confirm.content
    client.post(changelist, {"action": "lift", "_selected_action": [hold.pk], "confirmed": "yes"})

    hold.refresh_from_db()
    assert hold.lifted_at is not None


def test_the_queue_costs_the_same_queries_for_many_requests(
    staff_client_for, actor, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    client.get(QUEUE)  # warm the session and permission caches
    for _ in range(30):
        received(actor)

    with django_assert_max_num_queries(8):
        assert client.get(QUEUE).status_code == 200


def test_the_erasure_confirmation_names_the_person_and_says_it_cannot_be_undone(
    staff_client_for, actor
):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    request = verified(actor, type="deletion")

    body = client.get(step(request, "erase")).content.decode()

    assert f"Erasing {request.person} cannot be undone." in body
    assert "deactivated at once" in body
    assert "Erasing" not in client.get(step(request, "extend")).content.decode()
