"""Staff's second factors and sign-in lockouts in the admin: seen, and removed only through
a service with its event; never added or edited there (a second factor someone else chose
the key of is no second factor)."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit.models import AuditEvent
from portal import roles
from tests.conftest import verified_client
from tests.factories import StaffUserFactory, TOTPDeviceFactory
from tests.portal.test_admin_mfa import code, password_step, token_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return StaffUserFactory(is_superuser=True, username="it-lead")


def delete(client: Client, model: str, pk: int):
    return client.post(reverse(f"admin:{model}_delete", args=[pk]), {"post": "yes"})


def test_removing_a_lost_phone_is_recorded_and_the_next_sign_in_asks_for_a_new_one(superuser):
    colleague = StaffUserFactory(username="nora", roles=[roles.HR])
    device = TOTPDeviceFactory(user=colleague)
    client = verified_client(superuser)

    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    response = delete(client, "otp_totp_totpdevice", device.pk)

    assert b"nora" in listing.content
    assert b"authenticator app" in listing.content
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = AuditEvent.objects.get(action="staff.mfa_reset")
    assert (event.target_id, event.actor_id) == (str(colleague.pk), str(superuser.pk))
    assert event.data == {"device": "authenticator app"}
    assert password_step(Client(), "nora")["Location"].startswith(reverse("two_factor:setup"))


def test_backup_codes_are_removed_through_the_list_action_too(superuser):
    colleague = StaffUserFactory(username="nora")
    codes = StaticDevice.objects.create(user=colleague, name="backup", confirmed=True)
    client = verified_client(superuser)

    client.post(
        reverse("admin:otp_static_staticdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [codes.pk], "post": "yes"},
    )

    assert not StaticDevice.objects.filter(pk=codes.pk).exists()
    event = AuditEvent.objects.get(action="staff.mfa_reset")
    assert event.data == {"device": "backup codes"}


@pytest.mark.parametrize("model", ["otp_totp_totpdevice", "otp_static_staticdevice"])
def test_no_one_adds_or_edits_a_second_factor_in_the_admin(superuser, model):
    device = TOTPDeviceFactory() if model == "otp_totp_totpdevice" else None
    client = verified_client(superuser)

    assert client.get(reverse(f"admin:{model}_add")).status_code == 403
    if device is not None:
        page = client.get(reverse(f"admin:{model}_change", args=[device.pk]))
        assert b'name="key"' not in page.content  # shown, never editable
        assert b"Save" not in page.content


def test_clearing_a_lockout_is_recorded_without_the_address(superuser):
    locked = AccessAttempt.objects.create(
        username="nora",
        ip_address="203.0.113.9",
        user_agent="test",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )
    client = verified_client(superuser)

    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    response = delete(client, "axes_accessattempt", locked.pk)

    assert b"203.0.113.9" in listing.content
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(action="staff.lockout_cleared")
    assert event.target_id == "nora"
    assert event.data == {"failures": 5}
    assert "203.0.113.9" not in str(event.data)


def test_staff_roles_see_neither_page():
    client = verified_client(StaffUserFactory(roles=[roles.IT, roles.HR, roles.AUDITOR]))

    for page in ("otp_totp_totpdevice", "otp_static_staticdevice", "axes_accessattempt"):
        assert client.get(reverse(f"admin:{page}_changelist")).status_code == 403


def test_sign_ins_are_recorded_in_the_trail_and_not_copied_into_axes_access_log():
    user = StaffUserFactory(roles=[roles.HR])
    device = TOTPDeviceFactory(user=user)
    client = Client()

    password_step(client, user.username)
    token_step(client, code(device))

    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(action="staff.login", actor_id=str(user.pk)).exists()
    assert not AccessLog.objects.exists()
