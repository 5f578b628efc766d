"""Each staff role reaches exactly the governance pages its work needs."""

import pytest
from django.urls import reverse

from portal import roles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        (roles.HR, "admin:provisioning_onboard", 200),
        (roles.HR, "admin:provisioning_accessrequest_add", 200),
        (roles.HR, "admin:provisioning_sodrule_add", 403),
        (roles.IT, "admin:provisioning_role_add", 200),
        (roles.IT, "admin:provisioning_roletemplate_add", 200),
        (roles.IT, "admin:provisioning_sodrule_add", 200),
        (roles.IT, "admin:provisioning_grant_manual", 200),
        (roles.APPROVER, "admin:provisioning_inbox", 200),
        (roles.APPROVER, "admin:provisioning_role_add", 403),
        (roles.APPROVER, "admin:provisioning_grant_manual", 403),
        (roles.AUDITOR, "admin:provisioning_reports", 200),
        (roles.AUDITOR, "admin:provisioning_grant_manual", 403),
        (roles.AUDITOR, "admin:provisioning_onboard", 403),
        (roles.PRIVACY_OFFICER, "admin:provisioning_reports", 403),
    ],
)
def test_governance_pages_open_only_for_the_roles_that_need_them(
    staff_client_for, role, url, status
):
    client, _ = staff_client_for(role)
    assert client.get(reverse(url)).status_code == status
