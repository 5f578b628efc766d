"""The privacy officers' panel: open data-subject requests by days left."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest, RequestType
from compliance.panels import dsar_by_days_left
from portal import roles

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
PANEL = 'id="panel-dsar_days_left"'


def received(actor, *, days_left):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type=RequestType.ACCESS, person=None
    )
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        due_on=timezone.localdate() + timedelta(days=days_left)
    )
    return request


def test_open_requests_are_counted_per_bucket_of_days_left(actor):
    for days_left in (-2, 0, 7, 8, 30, 30):
        received(actor, days_left=days_left)

    counts = [b["count"] for b in dsar_by_days_left(today=timezone.localdate())]

    assert counts == [1, 2, 1, 2]


@pytest.mark.parametrize(
    ("role", "sees"),
    [(roles.PRIVACY_OFFICER, True), (roles.HR, False), (roles.IT, False), (roles.APPROVER, False)],
)
def test_only_those_who_may_view_the_requests_see_the_panel(staff_client_for, role, sees):
    client, _ = staff_client_for(role)

    assert (PANEL in client.get(INDEX).content.decode()) is sees


def test_the_panel_flags_overdue_requests(staff_client_for, actor):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    received(actor, days_left=-1)

    page = client.get(INDEX).content.decode()

    assert '<span class="incident-countdown overdue">1</span>' in page


@pytest.mark.postgresql
def test_the_panel_costs_two_queries_however_many_requests(
    staff_client_for, actor, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    for days_left in range(-5, 25, 2):
        received(actor, days_left=days_left)
    client.get(INDEX)  # warm the session and permission caches as a real visit would

    # session, user, device, two permission lookups, breaches, findings to triage,
    # requests and their failed steps, activity, admin log, the outbox's backlog, the open
    # access reviews with their completion
    with django_assert_max_num_queries(13):
        assert client.get(INDEX).status_code == 200
