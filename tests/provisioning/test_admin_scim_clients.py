"""IT manages SCIM clients in the admin; a token is shown once, on the page issuing it."""

import pytest
from django.urls import reverse

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.errors import InvalidValueError
from provisioning.models import ScimClient, ScimToken
from provisioning.services.scim_clients import (
    scim_client_create,
    scim_client_update,
    scim_token_issue,
)

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

    assert "minimal: Account, names and e-mail addresses only." in body
    assert "department (enterprise)" in body
    assert "urn:ietf:params" not in body
    assert ".py" not in body


def test_the_client_page_explains_the_deprovisioning_policy_and_which_applies(
    staff_client_for, client_record, settings
):
    settings.SCIM_DEPROVISIONING = "erase-on-delete"
    browser, _ = staff_client_for(roles.IT)

    page = browser.get(reverse("admin:provisioning_scimclient_change", args=[client_record.pk]))

    text = page.content.decode()
    assert "deprovisioning policy" in text.lower()
    assert "a legal hold keeps" in text.lower()
    assert "erase the person at once when deleted (the portal&#x27;s default)" in text


def test_it_sets_a_clients_deprovisioning_policy_through_the_service(
    staff_client_for, client_record
):
    browser, _ = staff_client_for(roles.IT)

    response = browser.post(
        reverse("admin:provisioning_scimclient_change", args=[client_record.pk]),
        {
            "name": "Entra ID",
            "profile": "directory",
            "mode": "strict",
            "deprovisioning": "erase-on-deactivation",
            "enabled": "on",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.deprovisioning_policy == "erase-on-deactivation"
    changed = AuditEvent.objects.filter(action="scim.client_updated").latest("sequence")
    assert changed.data == {"deprovisioning": "erase-on-deactivation"}


def test_an_unknown_deprovisioning_policy_is_refused_by_the_service(client_record, actor):
    with pytest.raises(InvalidValueError, match="deprovisioning"):
        scim_client_update(client=client_record, actor=actor, changes={"deprovisioning": "shred"})
