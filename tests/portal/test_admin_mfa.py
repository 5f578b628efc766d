"""Every staff login to the admin needs a second factor; enrolment is never a dead end."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit.models import AuditEvent
from portal import roles
from tests.factories import STAFF_PASSWORD, StaffUserFactory, TOTPDeviceFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def admin_urls() -> list[str]:
    from django.contrib import admin

    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return urls


def password_step(client: Client, username: str, password: str = STAFF_PASSWORD):
    return client.post(
        LOGIN,
        {
            "staff_login_view-current_step": "auth",
            "auth-username": username,
            "auth-password": password,
        },
    )


def token_step(client: Client, token: str):
    return client.post(LOGIN, {"staff_login_view-current_step": "token", "token-otp_token": token})


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def test_login_page_is_served():
    assert Client().get(LOGIN).status_code == 200


def test_password_without_second_factor_reaches_no_admin_page():
    user = StaffUserFactory(is_superuser=True)
    TOTPDeviceFactory(user=user)
    client = Client()
    client.force_login(user)  # a correct password, and nothing more

    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(LOGIN), url


def test_password_then_totp_code_opens_the_admin():
    user = StaffUserFactory(roles=[roles.HR])
    device = TOTPDeviceFactory(user=user)
    client = Client()

    assert password_step(client, user.username).status_code == 200  # asks for the code
    response = token_step(client, code(device))

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(action="staff.login", actor_id=str(user.pk)).exists()


def test_wrong_totp_code_keeps_the_admin_closed():
    user = StaffUserFactory(roles=[roles.HR])
    TOTPDeviceFactory(user=user)
    client = Client()
    password_step(client, user.username)

    response = token_step(client, "000000")

    assert response.status_code == 200
    assert "token" in response.context["wizard"]["steps"].current
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_without_device_is_led_through_enrolment():
    user = StaffUserFactory(roles=[roles.IT])
    client = Client()

    response = password_step(client, user.username)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor:setup"))
    assert client.get(reverse("admin:index")).status_code == 302  # not in yet

    setup = reverse("two_factor:setup")
    client.get(setup)
    client.post(setup, {"setup_view-current_step": "welcome"})
    page = client.post(setup, {"setup_view-current_step": "method", "method-method": "generator"})
    assert page.status_code == 200
    assert client.get(reverse("two_factor:qr")).status_code == 200  # the QR code image

    key = client.session["django_two_factor-qr_secret_key"]
    from base64 import b32decode

    token = f"{totp(b32decode(key)):06d}"
    done = client.post(setup, {"setup_view-current_step": "generator", "generator-token": token})

    assert done["Location"] == reverse("two_factor:setup_complete")
    assert b"Generate backup codes" in client.get(done["Location"]).content
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(action="staff.mfa_enrolled", actor_id=str(user.pk)).exists()


def test_backup_code_signs_in_when_the_phone_is_lost():
    user = StaffUserFactory(roles=[roles.AUDITOR])
    TOTPDeviceFactory(user=user)
    backup = StaticDevice.objects.create(user=user, name="backup")
    backup.token_set.create(token="abcd1234")
    client = Client()
    password_step(client, user.username)

    client.post(
        LOGIN,
        {"staff_login_view-current_step": "backup", "backup-otp_token": "abcd1234"},
    )

    assert client.get(reverse("admin:index")).status_code == 200
    assert not backup.token_set.exists()  # each code works once


def test_failed_logins_are_recorded_and_throttled():
    user = StaffUserFactory(roles=[roles.HR])
    TOTPDeviceFactory(user=user)
    client = Client()

    for _ in range(4):
        assert password_step(client, user.username, "wrong").status_code == 200
    assert password_step(client, user.username, "wrong").status_code == 429  # the fifth
    locked = password_step(client, user.username)  # even the right password now

    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert AuditEvent.objects.filter(action="staff.login_failed").count() >= 5
