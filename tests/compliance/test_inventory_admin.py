"""The personal-data inventory is readable in the admin by the roles that answer for it."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from compliance import inventory
from portal import roles

pytestmark = pytest.mark.django_db

URL = "admin:compliance_inventory_changelist"


@pytest.mark.parametrize("role", [roles.PRIVACY_OFFICER, roles.AUDITOR, roles.IT])
def test_privacy_officer_auditor_and_it_see_the_inventory(staff_client_for, role):
    client, _ = staff_client_for(role)

    response = client.get(reverse(URL))

    assert response.status_code == 200


@pytest.mark.parametrize("role", [roles.HR, roles.APPROVER])
def test_other_roles_do_not(staff_client_for, role):
    client, _ = staff_client_for(role)

    assert client.get(reverse(URL)).status_code == 403


def test_every_declared_field_is_shown_with_its_declaration(staff_client_for):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    page = client.get(reverse(URL)).content.decode()

    for entry in inventory.INVENTORY:
        assert f'<code class="quiet">{entry.field}</code>' in page
        assert str(entry.lawful_basis.label) in page
        assert escape(str(entry.retention)) in page
    assert page.count('id="inventory-') == len({entry.model for entry in inventory.INVENTORY})


def test_the_admin_index_links_to_the_inventory(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)

    assert reverse(URL) in client.get(reverse("admin:index")).content.decode()


def test_the_inventory_page_changes_nothing_and_offers_no_add(staff_client_for):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    assert client.get(reverse("admin:compliance_inventory_add")).status_code == 403
