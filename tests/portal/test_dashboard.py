"""Staff land on a dashboard whose panels follow their role."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from compliance.incidents.models import Incident
from compliance.incidents.services import finding_raise, finding_triage_breach
from portal import dashboard, roles

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
INCIDENTS = 'id="panel-open_incidents"'
ACTIVITY = 'id="panel-provisioning_activity"'


def panels_seen(client) -> set[str]:
    page = client.get(INDEX).content.decode()
    return {name for name in (INCIDENTS, ACTIVITY) if name in page}


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        (roles.AUDITOR, {INCIDENTS, ACTIVITY}),
        (roles.PRIVACY_OFFICER, {INCIDENTS, ACTIVITY}),
        (roles.HR, set()),
        (roles.IT, set()),
        (roles.APPROVER, set()),
    ],
)
def test_each_role_sees_the_panels_its_permissions_allow(staff_client_for, role, seen):
    client, _ = staff_client_for(role)

    assert panels_seen(client) == seen


def test_the_app_list_stays_below_the_panels(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)

    page = client.get(INDEX).content.decode()

    assert page.index(INCIDENTS) < page.index('class="app-provisioning')


def test_the_login_lands_on_the_dashboard(settings):
    assert reverse(settings.LOGIN_REDIRECT_URL) == INDEX


def test_open_breaches_are_listed_with_their_deadline(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    finding, _ = finding_raise(
        kind=Incident.Kind.MASS_DEPROVISIONING,
        summary="25 people deactivated in 10 minutes",
        details={},
        actor=actor,
    )
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=60)):
        breach = finding_triage_breach(finding=finding, actor=actor)

    page = client.get(INDEX).content.decode()

    assert "25 people deactivated in 10 minutes" in page
    assert breach.notification_deadline.strftime("%Y-%m-%d %H:%M") in page
    assert "incident-countdown soon" in page


def test_findings_awaiting_triage_are_counted_with_a_link(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    for key in ("a", "b"):
        finding_raise(
            kind=Incident.Kind.DISABLED_SCIM_CLIENT,
            summary="still trying",
            details={},
            actor=actor,
            dedupe_key=key,
        )

    page = client.get(INDEX).content.decode()

    assert "2 findings to triage" in page
    assert "No open breaches." in page


def test_a_new_panel_registers_without_touching_the_dashboard(staff_client_for, monkeypatch):
    monkeypatch.setattr(dashboard, "_PANELS", dict(dashboard._PANELS))
    dashboard.panel_register(
        dashboard.Panel(
            title="Grants expiring this week",
            template="admin/dashboard/open_incidents.html",
            context=lambda request: {"rows": []},
            permission="provisioning.view_person",
            order=5,
        )
    )
    client, _ = staff_client_for(roles.HR)

    page = client.get(INDEX).content.decode()

    assert "Grants expiring this week" in page


def test_the_dashboard_query_count_does_not_grow_with_incidents_or_events(
    staff_client_for, actor, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.AUDITOR)
    for number in range(12):
        finding_raise(
            kind=Incident.Kind.DISABLED_SCIM_CLIENT,
            summary=f"client {number}",
            details={},
            actor=actor,
            dedupe_key=str(number),
        )
    client.get(INDEX)  # warm the session and permission caches as a real visit would

    # session, user, device, two permission lookups, breaches, findings to triage,
    # activity, admin log; and,
    # since the governance and DSAR panels joined (an auditor views everything): pending
    # approvals (count, oldest), grants expiring this week, DSARs by days left; and the
    # outbox (its counts, and its latest error as the incidents' e-mails wait uncommitted);
    # and the open access reviews with their completion
    with django_assert_max_num_queries(16):
        assert client.get(INDEX).status_code == 200
