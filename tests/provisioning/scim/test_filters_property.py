"""Generated filters over generated people and groups: the database query returns exactly
what scim2-models' own evaluation of the filter (ScimFilter.match) accepts, on the same
rows converted to SCIM User and Group resources by the test's own converters."""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from scim2_models import (
    Email,
    EnterpriseUser,
    GroupMember,
    GroupMembership,
    Manager,
    Meta,
    Name,
    PhoneNumber,
    ScimFilter,
    User,
)
from scim2_models import Group as GroupResource

from provisioning.models import Group, Membership, Person, PersonEmail, PersonPhone
from provisioning.scim import filters as scim_filters
from tests.provisioning.scim.agreements import EVERY_ATTRIBUTE

user_filter = partial(scim_filters.user_filter, agreement=EVERY_ATTRIBUTE)
group_filter = partial(scim_filters.group_filter, agreement=EVERY_ATTRIBUTE)

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# ASCII only: SQLite's lower() folds ASCII alone. LIKE's wildcards are in on purpose.
WORDS = ["ann", "Ann", "ANNA", "bob", "b", "Bo b", "zed", "x-1", "X_1", "50%", "a_b"]
EMAILS = ["ann@corp.io", "Ann@Corp.io", "bob@x.io", "zed@corp.io", "a_b%c@mail.org"]
PHONES = ["+1 555", "555-01", "+44 20"]
TIMES = [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, 12, tzinfo=UTC)]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]

USER_STRINGS = [
    "userName",
    "externalId",
    "displayName",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "name.givenName",
    "name.familyName",
    "name.middleName",
    "name.honorificPrefix",
    "name.honorificSuffix",
    "name.formatted",
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:costCenter",
    f"{ENTERPRISE}:organization",
    f"{ENTERPRISE}:division",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:manager.displayName",
    "groups.display",
    "emails.type",
    "phoneNumbers.value",
    "phoneNumbers.type",
]
PRESENT = [
    *USER_STRINGS,
    "id",
    "active",
    "emails",
    "emails.value",
    "phoneNumbers",
    "groups",
    "name",
    "meta.created",
    f"{ENTERPRISE}:manager",
    f"{ENTERPRISE}:manager.value",
]
PLURALS = {
    "emails": ["value", "type", "primary"],
    "phoneNumbers": ["value", "type", "primary"],
    "groups": ["value", "display"],
}

blank_or_word = st.sampled_from(["", *WORDS])


@st.composite
def people_specs(draw: st.DrawFn) -> list[dict[str, Any]]:
    specs = []
    for index in range(draw(st.integers(1, 5))):
        fields: dict[str, Any] = {
            name: draw(blank_or_word)
            for name in (
                "external_id",
                "given_name",
                "middle_name",
                "family_name",
                "honorific_prefix",
                "honorific_suffix",
                "display_name",
                "nick_name",
                "title",
                "employment_type",
                "preferred_language",
                "locale",
                "timezone",
                "department",
                "employee_number",
                "cost_center",
                "organization",
                "division",
            )
        }
        if fields["external_id"]:
            fields["external_id"] += f"-{index}"  # unique when present
        fields["user_name"] = f"{draw(st.sampled_from(WORDS))}.{index}"
        fields["active"] = draw(st.booleans())
        emails = draw(
            st.lists(
                st.tuples(st.sampled_from(EMAILS), st.sampled_from(["work", "home"])),
                max_size=2,
                unique_by=lambda e: (e[0].lower(), e[1]),
            )
        )
        phones = draw(
            st.lists(
                st.tuples(st.sampled_from(PHONES), st.sampled_from(["work", "mobile"])),
                max_size=2,
                unique=True,
            )
        )
        specs.append(
            {
                "fields": fields,
                "created": draw(st.sampled_from(TIMES)),
                "modified": draw(st.sampled_from(TIMES)),
                "manager": draw(st.none() | st.integers(0, index - 1)) if index else None,
                "emails": emails,
                "primary_email": draw(st.booleans()),
                "phones": phones,
                "groups": draw(st.sets(st.integers(0, 1))),
            }
        )
    return specs


def store(specs: list[dict[str, Any]]) -> None:
    groups = [Group.objects.create(display_name=name) for name in ("Eng", "sales")]
    people: list[Person] = []
    for spec in specs:
        manager = people[spec["manager"]] if spec["manager"] is not None else None
        person = Person.objects.create(manager=manager, **spec["fields"])
        Person.objects.filter(pk=person.pk).update(
            created=spec["created"], modified=spec["modified"]
        )
        people.append(person)
        PersonEmail.objects.bulk_create(
            PersonEmail(
                person=person, value=value, type=type, primary=spec["primary_email"] and n == 0
            )
            for n, (value, type) in enumerate(spec["emails"])
        )
        PersonPhone.objects.bulk_create(
            PersonPhone(person=person, value=value, type=type, primary=n == 1)
            for n, (value, type) in enumerate(spec["phones"])
        )
        Membership.objects.bulk_create(
            Membership(person=person, group=groups[g]) for g in spec["groups"]
        )


def as_resource(person: Person) -> User[EnterpriseUser]:
    """The test's own Person -> SCIM User conversion, absent values as None."""

    def value(text: str) -> str | None:
        return text or None

    user = User[EnterpriseUser](
        id=str(person.pk),
        external_id=value(person.external_id),
        user_name=person.user_name,
        name=Name(
            formatted=value(person.formatted_name),
            family_name=value(person.family_name),
            given_name=value(person.given_name),
            middle_name=value(person.middle_name),
            honorific_prefix=value(person.honorific_prefix),
            honorific_suffix=value(person.honorific_suffix),
        ),
        display_name=value(person.display_name),
        nick_name=value(person.nick_name),
        title=value(person.title),
        user_type=value(person.employment_type),
        preferred_language=value(person.preferred_language),
        locale=value(person.locale),
        timezone=value(person.timezone),
        active=person.active,
        emails=[Email(value=e.value, type=e.type, primary=e.primary) for e in person.emails.all()],
        phone_numbers=[
            PhoneNumber(value=p.value, type=p.type, primary=p.primary)
            for p in person.phone_numbers.all()
        ],
        groups=[
            GroupMembership.model_validate(
                {"value": str(m.group.pk), "display": m.group.display_name}
            )
            for m in person.memberships.all()
        ],
        meta=Meta(created=person.created, last_modified=person.modified),
    )
    manager = person.manager
    user[EnterpriseUser] = EnterpriseUser(
        employee_number=value(person.employee_number),
        cost_center=value(person.cost_center),
        organization=value(person.organization),
        division=value(person.division),
        department=value(person.department),
        manager=Manager.model_validate(
            {"value": str(manager.pk), "displayName": value(manager.display_name)}
        )
        if manager
        else None,
    )
    return user


def operand(draw: st.DrawFn, pool: list[str]) -> str:
    text = draw(st.sampled_from(pool))
    cut = draw(st.sampled_from(["whole", "head", "tail", "upper", "lower"]))
    if cut == "head":
        text = text[: len(text) // 2]
    elif cut == "tail":
        text = text[len(text) // 2 :]
    elif cut == "upper":
        text = text.upper()
    elif cut == "lower":
        text = text.lower()
    return text


def string_comparison(draw: st.DrawFn, path: str, pool: list[str]) -> str:
    op = draw(st.sampled_from(OPERATORS))
    if op in ("eq", "ne") and draw(st.integers(0, 9)) == 0:
        return f"{path} {op} null"
    return f'{path} {op} "{operand(draw, pool)}"'


def boolean_comparison(draw: st.DrawFn, path: str) -> str:
    op = draw(st.sampled_from(["eq", "ne"]))
    return f"{path} {op} {draw(st.sampled_from(['true', 'false']))}"


@st.composite
def comparisons(draw: st.DrawFn, ids: list[str]) -> str:
    kind = draw(st.sampled_from(["string", "email", "id", "boolean", "date", "present"]))
    if kind == "string":
        return string_comparison(
            draw,
            draw(st.sampled_from(USER_STRINGS)),
            WORDS + EMAILS + PHONES + ["Eng", "work", "mobile", "home"],
        )
    if kind == "email":
        op = draw(st.sampled_from(OPERATORS))
        pool = EMAILS if op in ("eq", "ne", "gt", "ge", "lt", "le") else WORDS + EMAILS
        value = draw(st.sampled_from(pool)) if op not in ("co", "sw", "ew") else operand(draw, pool)
        return f'{draw(st.sampled_from(["emails", "emails.value"]))} {op} "{value}"'
    if kind == "id":
        path = draw(st.sampled_from(["id", "groups.value", f"{ENTERPRISE}:manager.value"]))
        return string_comparison(draw, path, ids)
    if kind == "boolean":
        path = draw(st.sampled_from(["active", "emails.primary", "phoneNumbers.primary"]))
        return boolean_comparison(draw, path)
    if kind == "date":
        path = draw(st.sampled_from(["meta.created", "meta.lastModified"]))
        moment = draw(st.sampled_from(TIMES)) + draw(
            st.sampled_from([timedelta(0), timedelta(seconds=-1), timedelta(days=1)])
        )
        op = draw(st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]))
        return f'{path} {op} "{moment.isoformat()}"'
    return f"{draw(st.sampled_from(PRESENT))} pr"


@st.composite
def row_conditions(draw: st.DrawFn, plural: str, ids: list[str], depth: int = 0) -> str:
    if depth < 2 and draw(st.booleans()):
        left = draw(row_conditions(plural, ids, depth + 1))
        shape = draw(st.sampled_from(["and", "or", "not"]))
        if shape == "not":
            return f"not ({left})"
        return f"({left}) {shape} ({draw(row_conditions(plural, ids, depth + 1))})"
    sub = draw(st.sampled_from(PLURALS[plural]))
    if sub == "primary":
        return boolean_comparison(draw, "primary")
    if draw(st.integers(0, 5)) == 0:
        return f"{sub} pr"
    if plural == "emails" and sub == "value":
        return f'value {draw(st.sampled_from(["co", "sw", "ew"]))} "{operand(draw, EMAILS)}"'
    pool = (
        ids
        if sub == "value" and plural == "groups"
        else WORDS + PHONES + ["work", "home", "mobile", "Eng", "SALES"]
    )
    return string_comparison(draw, sub, pool)


@st.composite
def filters(draw: st.DrawFn, ids: list[str], depth: int = 0) -> str:
    shape = draw(
        st.sampled_from(
            ["comparison", "value path", "and", "or", "not"]
            if depth < 3
            else ["comparison", "value path"]
        )
    )
    if shape == "comparison":
        return draw(comparisons(ids))
    if shape == "value path":
        plural = draw(st.sampled_from(sorted(PLURALS)))
        inner = draw(row_conditions(plural, ids))
        if plural == "phoneNumbers" and draw(st.booleans()):
            op = draw(st.sampled_from(OPERATORS))
            return f'{plural}[{inner}].value {op} "{operand(draw, PHONES)}"'
        return f"{plural}[{inner}]"
    if shape == "not":
        return f"not ({draw(filters(ids, depth + 1))})"
    return f"({draw(filters(ids, depth + 1))}) {shape} ({draw(filters(ids, depth + 1))})"


@settings(max_examples=200, deadline=None, database=None)
@given(data=st.data())
def test_the_database_returns_exactly_the_people_the_filter_matches_in_memory(data):
    with transaction.atomic():
        store(data.draw(people_specs(), label="people"))
        people = Person.objects.select_related("manager").prefetch_related(
            "emails", "phone_numbers", "memberships__group"
        )
        ids = [str(pk) for pk in Person.objects.values_list("pk", flat=True)]
        ids += [str(pk) for pk in Group.objects.values_list("pk", flat=True)]
        expression = data.draw(filters(ids), label="filter")
        scim_filter = ScimFilter[User[EnterpriseUser]](expression)

        expected = {p.user_name for p in people if scim_filter.match(as_resource(p))}
        found = set(
            Person.objects.filter(user_filter(expression)).values_list("user_name", flat=True)
        )

        assert found == expected, expression
        transaction.set_rollback(True)


GROUP_STRINGS = ["displayName", "externalId", "members.display"]
GROUP_PRESENT = [*GROUP_STRINGS, "id", "members", "members.value", "meta.created"]


@st.composite
def groups_specs(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    member_names = draw(st.lists(blank_or_word, min_size=3, max_size=3))
    specs = [
        {
            "display_name": f"{draw(st.sampled_from(WORDS))}.{index}",
            "external_id": external_id + f"-{index}"
            if (external_id := draw(blank_or_word))
            else "",
            "created": draw(st.sampled_from(TIMES)),
            "members": draw(st.sets(st.integers(0, 2))),
        }
        for index in range(draw(st.integers(1, 4)))
    ]
    return member_names, specs


def store_groups(member_names: list[str], specs: list[dict[str, Any]]) -> None:
    people = [
        Person.objects.create(user_name=f"member{n}", display_name=name)
        for n, name in enumerate(member_names)
    ]
    for spec in specs:
        group = Group.objects.create(
            display_name=spec["display_name"], external_id=spec["external_id"]
        )
        Group.objects.filter(pk=group.pk).update(created=spec["created"], modified=spec["created"])
        Membership.objects.bulk_create(
            Membership(group=group, person=people[n]) for n in spec["members"]
        )


def as_group_resource(group: Group) -> GroupResource:
    return GroupResource(
        id=str(group.pk),
        external_id=group.external_id or None,
        display_name=group.display_name,
        members=[
            GroupMember.model_validate(
                {
                    "value": str(m.person.pk),
                    "display": m.person.display_name or None,
                    "type": "User",
                }
            )
            for m in group.memberships.all()
        ],
        meta=Meta(created=group.created, last_modified=group.modified),
    )


@st.composite
def member_conditions(draw: st.DrawFn, ids: list[str], depth: int = 0) -> str:
    if depth < 2 and draw(st.booleans()):
        left = draw(member_conditions(ids, depth + 1))
        shape = draw(st.sampled_from(["and", "or", "not"]))
        if shape == "not":
            return f"not ({left})"
        return f"({left}) {shape} ({draw(member_conditions(ids, depth + 1))})"
    sub = draw(st.sampled_from(["value", "display"]))
    if draw(st.integers(0, 5)) == 0:
        return f"{sub} pr"
    return string_comparison(draw, sub, ids if sub == "value" else WORDS)


@st.composite
def group_filters(draw: st.DrawFn, ids: list[str], depth: int = 0) -> str:
    shapes = ["comparison", "comparison", "value path", "and", "or", "not"]
    shape = draw(st.sampled_from(shapes if depth < 3 else shapes[:3]))
    if shape == "value path":
        return f"members[{draw(member_conditions(ids))}]"
    if shape == "not":
        return f"not ({draw(group_filters(ids, depth + 1))})"
    if shape in ("and", "or"):
        left, right = draw(group_filters(ids, depth + 1)), draw(group_filters(ids, depth + 1))
        return f"({left}) {shape} ({right})"
    kind = draw(st.sampled_from(["string", "id", "date", "present"]))
    if kind == "string":
        return string_comparison(draw, draw(st.sampled_from(GROUP_STRINGS)), WORDS)
    if kind == "id":
        return string_comparison(
            draw, draw(st.sampled_from(["id", "members", "members.value"])), ids
        )
    if kind == "date":
        op = draw(st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]))
        return f'meta.lastModified {op} "{draw(st.sampled_from(TIMES)).isoformat()}"'
    return f"{draw(st.sampled_from(GROUP_PRESENT))} pr"


@settings(max_examples=100, deadline=None, database=None)
@given(data=st.data())
def test_the_database_returns_exactly_the_groups_the_filter_matches_in_memory(data):
    with transaction.atomic():
        store_groups(*data.draw(groups_specs(), label="groups"))
        ids = [str(pk) for pk in Person.objects.values_list("pk", flat=True)]
        ids += [str(pk) for pk in Group.objects.values_list("pk", flat=True)]
        expression = data.draw(group_filters(ids), label="filter")
        scim_filter = ScimFilter[GroupResource](expression)
        groups = Group.objects.prefetch_related("memberships__person")

        expected = {g.display_name for g in groups if scim_filter.match(as_group_resource(g))}
        found = set(
            Group.objects.filter(group_filter(expression)).values_list("display_name", flat=True)
        )

        assert found == expected, expression
        transaction.set_rollback(True)
