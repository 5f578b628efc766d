import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from compliance.audit.chain import verify as audit_verify
from compliance.audit.models import AuditEvent
from compliance.audit.services import history_replay
from compliance.audit.vocabulary import Channel
from portal.models import StaffUser
from provisioning.models import Application, Entitlement, Group, Membership, Person

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        "people": list(Person.objects.order_by("user_name").values_list("user_name", "version")),
        "groups": Group.objects.count(),
        "memberships": Membership.objects.count(),
        "applications": Application.objects.count(),
        "entitlements": Entitlement.objects.count(),
        "staff": list(
            StaffUser.objects.order_by("username").values_list("username", "groups__name")
        ),
        "events": AuditEvent.objects.count(),
    }


def test_seed_demo_twice_leaves_the_same_data(capsys):
    call_command("seed_demo")
    first_output = capsys.readouterr().out
    first = snapshot()

    call_command("seed_demo")

    assert snapshot() == first
    assert capsys.readouterr().out == first_output  # the same credentials again
    assert len(first["people"]) == 50
    assert {role for _, role in first["staff"]} == {
        "HR",
        "IT",
        "Approver",
        "Privacy officer",
        "Auditor",
    }


def test_seed_demo_shows_access_governance_alive():
    from provisioning.models import AccessGrant, Approval, Role

    call_command("seed_demo")

    assert Role.objects.count() >= 5
    assert AccessGrant.objects.filter(source="template", status="active").count() >= 50
    assert AccessGrant.objects.filter(source="request", expires_at__isnull=False).exists()
    assert AccessGrant.objects.filter(source="manual").exists()
    assert Approval.objects.filter(decision="pending", approver_email="approver@example.org")


def test_every_demo_address_can_be_delivered_to(settings):
    from provisioning.addresses import address_problem
    from provisioning.models import PersonEmail

    settings.EMAIL_SMTPUTF8 = False
    call_command("seed_demo")

    addresses = list(PersonEmail.objects.values_list("value", flat=True))
    assert addresses
    assert [address for address in addresses if address_problem(address)] == []


def test_the_demo_downstream_gets_everyone_pushed(capsys):
    """`make run` points Slack's connector at a local scim2-server (the connector tests'
    real downstream) through --downstream."""
    from portal.management.commands.seed_demo import DEMO_DOWNSTREAM_TOKEN
    from provisioning.connectors.models import DownstreamAccount
    from tests.provisioning.connectors.conftest import ScimServer

    server = ScimServer(token=DEMO_DOWNSTREAM_TOKEN)
    server.start()
    try:
        call_command("seed_demo", downstream=server.url)
    finally:
        server.stop()

    assert DownstreamAccount.objects.filter(status="healthy").count() == Person.objects.count()
    assert "50 accounts pushed" in capsys.readouterr().out


def test_an_unreachable_demo_downstream_is_one_line_not_a_failure(capsys):
    call_command("seed_demo", downstream="http://127.0.0.1:9/v2")

    assert "not reached" in capsys.readouterr().out


def test_the_demo_history_fills_the_past_weeks_with_every_channel(capsys):
    call_command("seed_demo", history_days=14)
    output = capsys.readouterr().out

    today = timezone.localdate()
    days = set(AuditEvent.objects.dates("occurred_at", "day"))
    assert min(days) == today - timedelta(days=14)
    assert len(days) >= 10  # the founding day, the working days, the nights' expiries, today
    assert set(AuditEvent.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert "History: 14 days replayed:" in output
    # Every record agrees on when it happened, not only the trail.
    joiner = Person.objects.filter(user_name__startswith="joiner.").earliest("created")
    assert joiner.created.date() < today
    assert audit_verify().ok

    call_command("seed_demo", history_days=14)

    assert "the audit trail already holds events, so none was added" in capsys.readouterr().out
    assert max(AuditEvent.objects.dates("occurred_at", "day")) == today


def test_history_is_never_replayed_into_a_trail_that_holds_events():
    call_command("seed_demo")

    with pytest.raises(RuntimeError, match="empty audit trail"), history_replay():
        pass


def test_the_demo_mail_waits_in_its_folder_and_the_sign_in_comes_last(
    settings, tmp_path, capsys, client, django_capture_on_commit_callbacks
):
    """`make run` sends the demo's e-mails to files (EMAIL_URL=filemail://…/.run/mail): a
    month of history is no longer MIME on the console burying the staff credentials, and
    the approver still finds the link to decide from."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", history_days=3)

    output = capsys.readouterr().out
    assert "Content-Type:" not in output
    assert f"one file per message in {tmp_path}/" in output
    lines = output.splitlines()
    assert lines[-6].startswith(f"Sign in at {settings.PORTAL_BASE_URL}/admin/")
    assert [line.split()[0] for line in lines[-5:]] == [
        "HR",
        "IT",
        "Approver",
        "Privacy",
        "Auditor",
    ]
    mailbox = "".join(path.read_text() for path in sorted(tmp_path.iterdir()))
    links = re.findall(re.escape(settings.PORTAL_BASE_URL) + r"(/approvals/\S+/)", mailbox)
    assert links, "the approval e-mails are in the folder"
    pages = [client.get(link).content.decode() for link in dict.fromkeys(links)]
    assert any("Salesforce admin" in page and "Approve" in page for page in pages)


def test_the_demo_connector_has_a_privacy_contact_so_a_restriction_tells_slack(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    """`make run` seeds Slack's connector; a restriction asked of the demo then lists Slack
    as told, not as "NOT TOLD" for want of an address."""
    from compliance.dsar import services
    from portal import roles
    from portal.management.commands.seed_demo import DEMO_DOWNSTREAM_TOKEN
    from tests.provisioning.connectors.conftest import ScimServer

    server = ScimServer(token=DEMO_DOWNSTREAM_TOKEN)
    server.start()
    try:
        call_command("seed_demo", downstream=server.url)
        person = Person.objects.filter(downstream_accounts__isnull=False).first()
        request = services.request_verify(
            actor=actor,
            request=services.request_receive(
                actor=actor, regulation="gdpr", type="restriction", person=person
            ),
            method="hr-record",
        )
        officer, _ = staff_client_for(roles.PRIVACY_OFFICER)
        with django_capture_on_commit_callbacks(execute=True):
            officer.post(
                reverse("admin:compliance_dsar_step", args=[request.pk, "restrict"]),
                {"confirm": "on", "ground": "accuracy contested (Art. 18(1)(a))"},
            )
    finally:
        server.stop()

    page = officer.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()
    assert "Slack: told on" in page
    assert "NOT TOLD" not in page
