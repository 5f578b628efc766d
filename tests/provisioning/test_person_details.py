"""A SCIM User's contacts and groups are read in one query, in the order SCIM shows them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from provisioning.models import Membership, Person, PersonEmail, PersonPhone
from provisioning.people_pages import ContactRow, details_of, people_with_details, person_details
from tests.factories import GroupFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_contacts_and_groups_of_several_people_are_one_query():
    ada, bob = PersonFactory(), PersonFactory()
    PersonEmail.objects.create(person_id=ada.pk, value="ada@home.example", type="home")
    PersonEmail.objects.create(person_id=ada.pk, value="ada@example.org", primary=True)
    PersonPhone.objects.create(person_id=bob.pk, value="+44 20 7946 0000", type="mobile")
    group = GroupFactory()
    Membership.objects.create(group_id=group.pk, person_id=bob.pk)

    with CaptureQueriesContext(connection) as captured:
        details = person_details([ada.pk, bob.pk], with_groups=True)

    assert len(captured) == 1
    assert details[ada.pk].emails == [
        ContactRow("ada@example.org", "work", True),
        ContactRow("ada@home.example", "home", False),
    ]
    assert details[ada.pk].group_ids == []
    assert details[bob.pk].phones == [ContactRow("+44 20 7946 0000", "mobile", False)]
    assert details[bob.pk].group_ids == [group.pk]


def test_groups_are_not_read_when_not_wanted():
    person = PersonFactory()
    Membership.objects.create(group_id=GroupFactory().pk, person_id=person.pk)

    with CaptureQueriesContext(connection) as captured:
        details = person_details([person.pk], with_groups=False)

    assert details[person.pk].group_ids == []
    assert "provisioning_membership" not in captured[0]["sql"]


def test_no_people_need_no_query():
    with CaptureQueriesContext(connection) as captured:
        assert person_details([], with_groups=True) == {}

    assert len(captured) == 0


@pytest.mark.postgresql
@pytest.mark.parametrize("with_groups", [True, False])
def test_details_read_with_the_people_are_those_person_details_reads(with_groups):
    ada, bob, cy = PersonFactory(), PersonFactory(), PersonFactory()
    PersonEmail.objects.create(person_id=ada.pk, value="ada@home.example", type="home")
    PersonEmail.objects.create(person_id=ada.pk, value="ada@example.org", primary=True)
    PersonEmail.objects.create(person_id=ada.pk, value="ada@other.example", type="other")
    PersonPhone.objects.create(person_id=bob.pk, value="555", type="mobile")
    PersonPhone.objects.create(person_id=bob.pk, value="+44 20 7946 0000", primary=True)
    for group in GroupFactory.create_batch(2):
        Membership.objects.create(group_id=group.pk, person_id=bob.pk)
    queryset = Person.objects.filter(pk__in=[ada.pk, bob.pk, cy.pk]).order_by("pk")

    with CaptureQueriesContext(connection) as captured:
        people = list(people_with_details(queryset, with_groups=with_groups))
        details = details_of(people, with_groups=with_groups)

    assert len(captured) == 1
    assert details == person_details([ada.pk, bob.pk, cy.pk], with_groups=with_groups)
    assert len(details[bob.pk].group_ids) == (2 if with_groups else 0)
