"""IT manages SCIM clients in the admin; a token is shown once, on the page issuing it."""

import pytest
from django.urls import reverse

from portal import roles
from provisioning.models import ScimClient, ScimToken
from provisioning.services.scim_clients import scim_client_create, scim_token_issue

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:provisioning_scimclient_changelist")


@pytest.fixture
def client_record(actor):
    return scim_client_create(actor=actor, name="Entra ID", profile="directory")


def test_it_adds_a_client_through_the_service(staff_client_for):
    browser, _ = staff_client_for(roles.IT)

    response = browser.post(
        reverse("admin:provisioning_scimclient_add"),
        {
            "name": "Okta",
            "profile": "minimal",
            "mode": "drop",
            "enabled": "on",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert ScimClient.objects.get(name="Okta").mode == "drop"


def test_issuing_a_token_asks_first_then_shows_it_once(staff_client_for, client_record):
    browser, _ = staff_client_for(roles.IT)
    selected = {"action": "issue_token", "_selected_action": [str(client_record.pk)]}

    asked = browser.post(CHANGELIST, selected)
    assert asked.status_code == 200
    assert not ScimToken.objects.exists()

    shown = browser.post(CHANGELIST, {**selected, "confirm": "yes"})

    token = ScimToken.objects.get()
    assert "no-store" in shown["Cache-Control"]
    secret = next(s for _, s in shown.context["issued"])
    assert secret.startswith(token.prefix)
    change_page = browser.get(
        reverse("admin:provisioning_scimclient_change", args=[client_record.pk])
    )
    assert secret not in change_page.content.decode()


def test_revoking_a_token_asks_first(staff_client_for, client_record, actor):
    issued = scim_token_issue(client=client_record, actor=actor)
    browser, _ = staff_client_for(roles.IT)
    url = reverse("admin:provisioning_scimtoken_changelist")
    selected = {"action": "revoke", "_selected_action": [str(issued.token.pk)]}

    browser.post(url, selected)
    assert ScimToken.objects.get().revoked_at is None
    browser.post(url, {**selected, "confirm": "yes"})

    assert ScimToken.objects.get().revoked_at is not None


@pytest.mark.parametrize("role", [roles.HR, roles.APPROVER, roles.PRIVACY_OFFICER])
def test_only_it_manages_scim_clients(staff_client_for, role):
    browser, _ = staff_client_for(role)
    assert browser.get(reverse("admin:provisioning_scimclient_add")).status_code == 403


def test_the_form_explains_each_profile_without_pointing_at_source_code(staff_client_for):
    browser, _ = staff_client_for(roles.IT)

    body = browser.get(reverse("admin:provisioning_scimclient_add")).content.decode()

    assert "minimal: Account and names only." in body
    assert "department (enterprise)" in body
    assert "urn:ietf:params" not in body
    assert ".py" not in body
