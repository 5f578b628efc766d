"""Who holds what, since when, granted by whom and why."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action, Channel
from portal import roles
from provisioning.access_report import UNKNOWN, AccessHoldings
from provisioning.models import Membership
from provisioning.services.access import grant_create, grants_revoke_all
from provisioning.services.groups import group_create, group_members_add, group_members_remove
from provisioning.services.persons import person_create
from tests.factories import GroupFactory, PersonFactory, RoleFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:compliance_access_report")
EXPORT = reverse("admin:compliance_access_report_export")


@pytest.fixture
def it_staff():
    return Actor.staff(StaffUserFactory(username="ishaan"))


@pytest.fixture
def ada(actor):
    return person_create(actor=actor, fields={"user_name": "ada", "display_name": "Ada L"})


def test_a_membership_is_held_since_it_began_and_granted_by_whoever_added_it(ada, it_staff):
    group = group_create(actor=it_staff, display_name="eng", member_ids=[ada.pk])

    (holding,) = list(AccessHoldings(person_id=ada.pk))

    assert (holding.person, holding.kind, holding.holds) == ("Ada L", "group membership", "eng")
    assert holding.since == Membership.objects.get(group=group, person=ada).created
    assert (holding.granted_by, holding.granted_via) == ("ishaan", "admin")
    assert holding.why == "member of the group eng"


def test_after_leaving_and_rejoining_the_grantor_is_whoever_added_them_last(ada, it_staff):
    okta = Actor.system("okta", channel=Channel.SCIM)
    group = group_create(actor=it_staff, display_name="eng", member_ids=[ada.pk])
    group_members_remove(group=group, person_ids=[ada.pk], actor=it_staff)
    group_members_add(group=group, person_ids=[ada.pk], actor=okta)

    (holding,) = list(AccessHoldings(person_id=ada.pk))

    assert (holding.granted_by, holding.granted_via) == ("okta", "scim")


def test_an_active_role_grant_shows_who_granted_it_why_and_until_when(ada, it_staff):
    role = RoleFactory(name="Payroll approver")
    expires = timezone.now() + timedelta(days=30)
    grant_create(
        person=ada,
        role=role,
        source="manual",
        actor=it_staff,
        reason="covering",
        expires_at=expires,
    )

    (holding,) = list(AccessHoldings(person_id=ada.pk))

    assert (holding.kind, holding.holds) == (
        "role grant",
        f"Payroll approver (until {expires:%Y-%m-%d})",
    )
    assert (holding.granted_by, holding.granted_via, holding.why) == (
        "ishaan",
        "granted by hand",
        "covering",
    )


def test_a_revoked_grant_is_no_longer_held(ada, it_staff):
    grant_create(person=ada, role=RoleFactory(), source="manual", actor=it_staff)
    grants_revoke_all(person=ada, actor=it_staff, reason="moved on")

    assert list(AccessHoldings(person_id=ada.pk)) == []


def test_access_with_no_granting_event_says_so():
    group, person = GroupFactory(), PersonFactory()
    membership = Membership.objects.create(group_id=group.pk, person_id=person.pk)

    (holding,) = list(AccessHoldings(person_id=membership.person_id))

    assert holding.granted_by == UNKNOWN


def test_pages_cover_every_holding_once_in_order(actor, it_staff):
    people = [person_create(actor=actor, fields={"user_name": f"p{n:02}"}) for n in range(5)]
    for name in ("a", "b", "c"):
        group_create(actor=it_staff, display_name=name, member_ids=[p.pk for p in people])
    holdings = AccessHoldings()

    pages = [holdings[start : start + 4] for start in range(0, 15, 4)]

    assert [h for page in pages for h in page] == list(holdings)
    assert [(h.person, h.holds) for h in list(holdings)[:4]] == [
        ("p00", "a"),
        ("p00", "b"),
        ("p00", "c"),
        ("p01", "a"),
    ]
    assert holdings.count() == 15


@pytest.fixture
def auditor(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    return client


def test_the_report_page_is_paginated_at_a_flat_query_cost(
    auditor, actor, it_staff, django_assert_max_num_queries
):
    people = [person_create(actor=actor, fields={"user_name": f"p{n:03}"}) for n in range(60)]
    for name in ("a", "b"):
        group_create(actor=it_staff, display_name=name, member_ids=[p.pk for p in people])
    auditor.get(REPORT)

    # Session, user, device, permissions (2), a count per source (grants, memberships),
    # the page's memberships, their events.
    with django_assert_max_num_queries(9):
        first = auditor.get(REPORT)
    second = auditor.get(REPORT, {"page": 2})

    assert len(first.context["page"].object_list) == 100
    assert len(second.context["page"].object_list) == 20
    assert second.context["page"].object_list[-1].person == "p059"


def test_the_report_filters_by_person(auditor, ada, it_staff):
    other = PersonFactory()
    group_create(actor=it_staff, display_name="eng", member_ids=[ada.pk, other.pk])

    response = auditor.get(REPORT, {"person": str(ada.pk)})

    assert [h.person for h in response.context["page"].object_list] == ["Ada L"]


def test_an_invalid_person_filter_is_an_error_and_matches_nothing(auditor, ada, it_staff):
    group_create(actor=it_staff, display_name="eng", member_ids=[ada.pk])

    response = auditor.get(REPORT, {"person": "ada"})

    assert list(response.context["page"].object_list) == []
    assert "Select a valid choice" in response.content.decode()


def test_the_csv_export_has_every_holding_and_is_recorded(auditor, actor, it_staff):
    people = [person_create(actor=actor, fields={"user_name": f"p{n}"}) for n in range(3)]
    group_create(actor=it_staff, display_name="eng", member_ids=[p.pk for p in people])

    response = auditor.post(EXPORT, {"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["person"], row["holds"], row["granted_by"]) for row in rows] == [
        ("p0", "eng", "ishaan"),
        ("p1", "eng", "ishaan"),
        ("p2", "eng", "ishaan"),
    ]
    recorded = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert recorded.data == {"report": "access", "format": "csv", "filters": {}, "rows": 3}


def test_the_export_is_post_only(auditor):
    assert auditor.get(EXPORT).status_code == 405
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_the_person_page_links_to_their_access(auditor, ada):
    response = auditor.get(reverse("admin:provisioning_person_change", args=[ada.pk]))

    assert f"{REPORT}?person={ada.pk}" in response.content.decode()


def test_the_person_filter_is_a_picker_that_finds_people_by_name(auditor, ada, it_staff):
    group_create(actor=it_staff, display_name="eng", member_ids=[ada.pk])

    page = auditor.get(REPORT, {"person": str(ada.pk)}).content.decode()
    found = auditor.get(
        reverse("admin:autocomplete"),
        {"term": "Ada", "app_label": "provisioning", "model_name": "accessgrant"}
        | {"field_name": "person"},
    ).json()

    assert 'class="admin-autocomplete' in page
    assert "Ada L" in page.split('<select name="person"')[1].split("</select>")[0]
    assert "their id" not in page
    assert [result["id"] for result in found["results"]] == [str(ada.pk)]
