"""SCIM filter and sortBy strings, run as queries on the database (SQLite by default,
PostgreSQL under DATABASE_URL)."""

from datetime import UTC, datetime
from functools import partial

import pytest
import time_machine
from django.db import connection

from provisioning.models import Group, Membership, Person, PersonEmail, PersonPhone
from provisioning.scim import filters
from provisioning.scim.filter_parsing import _adapter
from provisioning.scim.filters import InvalidFilterError
from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.agreements import EVERY_ATTRIBUTE

user_filter = partial(filters.user_filter, agreement=EVERY_ATTRIBUTE)
group_filter = partial(filters.group_filter, agreement=EVERY_ATTRIBUTE)
user_ordering = partial(filters.user_ordering, agreement=EVERY_ATTRIBUTE)
group_ordering = partial(filters.group_ordering, agreement=EVERY_ATTRIBUTE)

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def users(expression: str) -> set[str]:
    return set(Person.objects.filter(user_filter(expression)).values_list("user_name", flat=True))


def groups(expression: str) -> set[str]:
    return set(
        Group.objects.filter(group_filter(expression)).values_list("display_name", flat=True)
    )


def email(person: Person, value: str, type: str = "work", primary: bool = False) -> None:
    PersonEmail.objects.create(person=person, value=value, type=type, primary=primary)


def test_external_id_finds_the_person_holding_it():
    PersonFactory(user_name="ann", external_id="AZ-1")
    PersonFactory(user_name="bob", external_id="AZ-2")

    assert users('externalId eq "AZ-1"') == {"ann"}


def test_external_id_is_case_exact():
    PersonFactory(user_name="ann", external_id="AZ-1")

    assert users('externalId eq "az-1"') == set()
    assert users('externalId sw "az"') == set()
    assert users('externalId co "Z-"') == {"ann"}


def test_user_name_ignores_case_with_every_operator():
    PersonFactory(user_name="Ann.Lee@Example.org")

    for expression in (
        'userName eq "ann.lee@example.ORG"',
        'userName co "LEE@"',
        'userName sw "aNN"',
        'userName ew ".ORG"',
        'userName gt "ANN"',
        'userName le "ANN.LEE@EXAMPLE.ORG"',
    ):
        assert users(expression) == {"Ann.Lee@Example.org"}, expression


def test_attribute_names_and_operators_ignore_case():
    PersonFactory(user_name="ann", display_name="Ann Lee")

    assert users('DISPLAYNAME EQ "ann lee"') == {"ann"}


def test_ne_matches_people_without_the_attribute():
    PersonFactory(user_name="ann", title="Engineer")
    PersonFactory(user_name="bob", title="")

    assert users('title ne "engineer"') == {"bob"}


def test_pr_means_present_and_not_empty():
    PersonFactory(user_name="ann", nick_name="Annie")
    PersonFactory(user_name="bob", nick_name="")

    assert users("nickName pr") == {"ann"}
    assert users("not (nickName pr)") == {"bob"}


def test_an_empty_value_is_no_value():
    PersonFactory(user_name="ann", title="")

    assert users('title eq ""') == set()
    assert users('title lt "b"') == set()
    assert users("title eq null") == {"ann"}


def test_ordering_operators_compare_strings_lexicographically():
    PersonFactory(user_name="ann", title="Manager")
    PersonFactory(user_name="bob", title="architect")
    PersonFactory(user_name="cy", title="Zookeeper")

    assert users('title gt "m"') == {"ann", "cy"}
    assert users('title ge "manager"') == {"ann", "cy"}
    assert users('title lt "MANAGER"') == {"bob"}
    assert users('title le "manager"') == {"ann", "bob"}


def test_both_conditions_of_a_value_selection_apply_to_the_same_email():
    ann = PersonFactory(user_name="ann")
    email(ann, "ann@corp.example", type="work")
    email(ann, "qq@home.example", type="home")
    bob = PersonFactory(user_name="bob")
    email(bob, "qq@corp.example", type="work")

    assert users('emails[type eq "work" and value co "qq"]') == {"bob"}


def test_a_value_selection_with_a_sub_attribute_compares_the_selected_values():
    ann = PersonFactory(user_name="ann")
    email(ann, "ann@corp.example", type="work")
    email(ann, "ann@home.example", type="home")

    assert users('emails[type eq "work"].value eq "ANN@corp.example"') == {"ann"}
    assert users('emails[type eq "home"].value eq "ann@corp.example"') == set()


def test_emails_compare_their_values():
    ann = PersonFactory(user_name="ann")
    email(ann, "ann@corp.example")
    PersonFactory(user_name="bob")

    assert users('emails.value eq "ann@corp.example"') == {"ann"}
    assert users('emails co "CORP"') == {"ann"}
    assert users("emails pr") == {"ann"}


def test_not_excludes_people_with_any_matching_email():
    ann = PersonFactory(user_name="ann")
    email(ann, "ann@corp.example")
    email(ann, "ann@other.example", type="home")
    bob = PersonFactory(user_name="bob")
    email(bob, "bob@other.example")
    PersonFactory(user_name="cy")

    assert users('not (emails co "corp")') == {"bob", "cy"}


def test_ne_on_a_multi_valued_attribute_holds_when_no_value_equals():
    ann = PersonFactory(user_name="ann")
    email(ann, "ann@corp.example")
    email(ann, "ann@home.example", type="home")
    PersonFactory(user_name="bob")

    assert users('emails.value ne "ann@home.example"') == {"bob"}


def test_primary_email_is_a_boolean():
    ann = PersonFactory(user_name="ann")
    email(ann, "ann@corp.example", primary=True)
    bob = PersonFactory(user_name="bob")
    email(bob, "bob@corp.example", primary=False)

    assert users("emails[primary eq true]") == {"ann"}
    assert users("emails.primary eq false") == {"bob"}


def test_phone_numbers_filter_by_type():
    ann = PersonFactory(user_name="ann")
    PersonPhone.objects.create(person_id=ann.pk, value="+1 555 0100", type="mobile")
    bob = PersonFactory(user_name="bob")
    PersonPhone.objects.create(person_id=bob.pk, value="+1 555 0199", type="work")

    assert users('phoneNumbers[type eq "mobile"]') == {"ann"}
    assert users('phoneNumbers.value ew "99"') == {"bob"}


def test_groups_filter_by_id_and_name():
    engineering = GroupFactory(display_name="Engineering")
    ann = PersonFactory(user_name="ann")
    Membership.objects.create(group_id=engineering.pk, person_id=ann.pk)
    PersonFactory(user_name="bob")

    assert users(f'groups.value eq "{engineering.pk}"') == {"ann"}
    assert users('groups[display eq "engineering"]') == {"ann"}
    assert users("not (groups pr)") == {"bob"}


def test_enterprise_attributes_filter_by_their_full_urn():
    PersonFactory(user_name="ann", department="Sales", employee_number="0042", cost_center="C1")
    PersonFactory(user_name="bob", department="Engineering", employee_number="0043")

    assert users(f'{ENTERPRISE}:department eq "sales"') == {"ann"}
    assert users(f'{ENTERPRISE}:employeeNumber eq "0043"') == {"bob"}
    assert users(f"{ENTERPRISE}:costCenter pr") == {"ann"}


def test_manager_filters_by_its_id():
    boss = PersonFactory(user_name="boss", display_name="The Boss")
    PersonFactory(user_name="ann", manager=boss)
    PersonFactory(user_name="bob")

    assert users(f'{ENTERPRISE}:manager.value eq "{boss.pk}"') == {"ann"}
    assert users(f'{ENTERPRISE}:manager.displayName co "boss"') == {"ann"}
    assert users(f'{ENTERPRISE}:manager.value ne "{boss.pk}"') == {"boss", "bob"}


def test_user_type_is_the_employment_type():
    PersonFactory(user_name="ann", employment_type="Contractor")
    PersonFactory(user_name="bob", employment_type="Employee")

    assert users('userType eq "contractor"') == {"ann"}


def test_name_parts_and_the_formatted_name():
    PersonFactory(user_name="ann", honorific_prefix="Dr", given_name="Ann", family_name="Lee")
    PersonFactory(user_name="bob", given_name="Bob", middle_name="J", family_name="")

    assert users('name.givenName eq "ANN"') == {"ann"}
    assert users('name.formatted eq "dr ann lee"') == {"ann"}
    assert users('name.formatted eq "Bob J"') == {"bob"}


def test_active_compares_as_a_boolean():
    PersonFactory(user_name="ann", active=True)
    PersonFactory(user_name="bob", active=False)

    assert users("active eq false") == {"bob"}
    assert users("active ne true") == {"bob"}


def test_id_compares_as_a_case_exact_string():
    ann = PersonFactory(user_name="ann")
    PersonFactory(user_name="bob")

    assert users(f'id eq "{ann.pk}"') == {"ann"}
    assert users(f'id eq "{str(ann.pk).upper()}"') == set()
    assert users(f'id sw "{str(ann.pk)[:13]}"') == {"ann"}
    assert users('id eq "not-a-uuid"') == set()


def test_meta_dates_compare_in_time():
    with time_machine.travel(datetime(2024, 1, 10, tzinfo=UTC), tick=False):
        PersonFactory(user_name="ann")
    with time_machine.travel(datetime(2024, 3, 10, tzinfo=UTC), tick=False):
        PersonFactory(user_name="bob")

    assert users('meta.created gt "2024-02-01T00:00:00Z"') == {"bob"}
    assert users('meta.lastModified le "2024-01-10T00:00:00Z"') == {"ann"}
    assert users('meta.created eq "2024-03-10T00:00:00+00:00"') == {"bob"}


def test_and_binds_tighter_than_or_unless_parenthesised():
    PersonFactory(user_name="ann", title="a", nick_name="x")
    PersonFactory(user_name="bob", title="b", nick_name="y")

    assert users('title eq "a" or title eq "b" and nickName eq "x"') == {"ann"}
    assert users('(title eq "a" or title eq "b") and nickName eq "y"') == {"bob"}


def test_group_members_filter_by_member_id():
    ann = PersonFactory(user_name="ann", display_name="Ann Lee")
    engineering = GroupFactory(display_name="Engineering", external_id="g-1")
    GroupFactory(display_name="Sales")
    Membership.objects.create(group_id=engineering.pk, person_id=ann.pk)

    assert groups(f'members[value eq "{ann.pk}"]') == {"Engineering"}
    assert groups('members.display co "lee"') == {"Engineering"}
    assert groups('externalId eq "g-1" or displayName sw "sal"') == {"Engineering", "Sales"}
    assert groups("not (members pr)") == {"Sales"}


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ('nickname2 eq "x"', "unknown attribute 'nickname2'"),
        ('urn:example:Other:department eq "x"', "unknown attribute"),
        ("active gt true", "operator 'gt' cannot be applied to the boolean attribute"),
        ('userName eq "x" and', "invalid syntax"),
        ('emails.display eq "x"', "filtering on"),
        ('name eq "x"', "is complex"),
        ('meta.created co "2024"', "is a dateTime"),
        ('meta.created gt "yesterday"', "is not valid for attribute"),
        ('emails[type eq "work"].value eq "not an address"', "is not valid for attribute"),
        ("userName sw null", "needs a value"),
        ('emails[foo eq "x"]', "unknown attribute 'emails.foo'"),
    ],
)
def test_a_filter_the_portal_cannot_run_is_refused_with_a_clear_detail(expression, detail):
    with pytest.raises(InvalidFilterError, match=detail):
        user_filter(expression)


def test_validating_a_value_builds_its_type_adapter_once():
    user_filter('emails[type eq "work"].value eq "a@example.org"')
    built = _adapter.cache_info().misses

    user_filter('emails[type eq "home"].value eq "b@example.org"')

    assert _adapter.cache_info().misses == built


def test_a_group_filter_on_a_user_attribute_is_refused():
    with pytest.raises(InvalidFilterError, match="unknown attribute 'userName'"):
        group_filter('userName eq "x"')


def test_a_filter_with_value_selections_and_negations_is_one_query(
    django_assert_num_queries,
):
    ann = PersonFactory(user_name="ann", department="Sales")
    email(ann, "ann@corp.example")
    condition = user_filter(
        f'emails[type eq "work" and value co "corp"] and not (groups pr)'
        f' and {ENTERPRISE}:department eq "sales" or phoneNumbers.value sw "+1"'
    )

    with django_assert_num_queries(1):
        assert [p.user_name for p in Person.objects.filter(condition)] == ["ann"]


@pytest.mark.postgresql
def test_user_name_eq_can_use_the_case_insensitive_unique_index():
    PersonFactory(user_name="ann")
    queryset = Person.objects.filter(user_filter('userName eq "ANN"'))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned

    assert "person_user_name_ci_unique" in queryset.explain()


def ordered(sort_by: str | None, descending: bool = False) -> list[str]:
    fields = user_ordering(sort_by, descending)
    return list(Person.objects.order_by(*fields).values_list("user_name", flat=True))


def test_sort_by_user_name_ignores_case():
    for name in ("bob", "Ann", "cy"):
        PersonFactory(user_name=name)

    assert ordered("userName") == ["Ann", "bob", "cy"]
    assert ordered("username", descending=True) == ["cy", "bob", "Ann"]


def test_sort_ends_with_a_unique_tiebreaker():
    people = [PersonFactory(user_name=f"p{n}", department="same") for n in range(4)]
    by_id = sorted(people, key=lambda person: str(person.pk))

    assert user_ordering(f"{ENTERPRISE}:department", False)[-1] == "pk"
    assert ordered(f"{ENTERPRISE}:department") == [p.user_name for p in by_id]


def test_without_sort_by_people_come_in_creation_order():
    with time_machine.travel(datetime(2024, 1, 2, tzinfo=UTC), tick=False):
        PersonFactory(user_name="zed")
    with time_machine.travel(datetime(2024, 1, 3, tzinfo=UTC), tick=False):
        PersonFactory(user_name="amy")

    assert ordered(None) == ["zed", "amy"]


def test_sort_by_the_manager_name_and_a_name_part():
    boss = PersonFactory(user_name="boss", display_name="Zora", family_name="A")
    PersonFactory(user_name="ann", manager=boss, family_name="b")

    assert ordered("name.familyName", descending=True) == ["ann", "boss"]
    assert user_ordering(f"{ENTERPRISE}:manager.displayName", False) == [
        "manager__display_name__lower",
        "pk",
    ]


@pytest.mark.parametrize(
    ("sort_by", "detail"),
    [
        ("emails", "holds several values"),
        ("nickname2", "is not an attribute"),
        ("name", "not supported"),
        ('emails[type eq "work"].value', "is not an attribute"),
    ],
)
def test_a_sort_by_the_portal_cannot_run_is_refused(sort_by, detail):
    with pytest.raises(InvalidFilterError, match=detail):
        user_ordering(sort_by, False)


def test_groups_sort_by_display_name():
    for name in ("beta", "Alpha"):
        GroupFactory(display_name=name)

    fields = group_ordering("displayName", False)
    names = list(Group.objects.order_by(*fields).values_list("display_name", flat=True))
    assert names == ["Alpha", "beta"]
