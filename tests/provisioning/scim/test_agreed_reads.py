"""A client reads only through its agreement: on every read path, an attribute outside it
answers exactly as an attribute that does not exist, and what it holds cannot be learnt."""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import transaction

from compliance import scim_agreements
from compliance.scim_agreements import Agreement, agreement_for
from provisioning.models import PersonPhone
from tests.factories import GroupFactory, PersonEmailFactory, PersonFactory
from tests.provisioning.scim.conftest import ENTERPRISE, join, patch_ops

pytestmark = pytest.mark.django_db

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

# Attributes outside the minimal profile (all but name.middleName inside the directory
# one), each with an attribute of the same shape that no schema declares.
UNAGREED = [
    ("title", "fooBar"),
    ("phoneNumbers.value", "fooBar.value"),
    ("name.middleName", "name.fooBar"),
    (f"{ENTERPRISE}:department", f"{ENTERPRISE}:fooBar"),
    (f"{ENTERPRISE}:manager.displayName", f"{ENTERPRISE}:fooBar.displayName"),
]
MULTI_VALUED = ("phoneNumbers", "fooBar")

FILTERS = [
    '{a} eq "x"',
    '{a} sw "+44 2"',
    "{a} pr",
    "not({a} pr)",
    '{a} gt "a"',
    'userName pr and ({a} co "x" or displayName pr)',
]
# Refused for their value if the attribute is known: an unagreed one is refused as unknown
# first, as an unknown one is.
MISTYPED_FILTERS = ["{a} eq 1", "{a} gt true"]
VALUE_PATH_FILTERS = [
    '{a}[type eq "work" and value sw "+44"]',
    'emails[type eq "work" and value sw "a"] or not({a}[value pr])',
    '{a} co "+44"',
    "{a} pr",
]


def users_query(scim: Any, **parameters: str) -> Any:
    return scim.get("Users?" + urlencode(parameters))


def assert_refused_as_unknown(
    ask: Callable[[str], Any], unagreed: str, unknown: str, scim_type: str
) -> None:
    """`ask(unagreed)` is answered as `ask(unknown)`: the same status, scimType and detail,
    with the attribute's name in the detail as the client wrote it."""
    expected = ask(unknown)
    assert expected.status_code == 400
    assert expected.json()["scimType"] == scim_type
    seen = ask(unagreed)
    body = seen.json()
    assert seen.status_code == expected.status_code
    assert body | {"detail": body["detail"].replace(unagreed, unknown)} == expected.json()


def directory_agrees(attribute: str) -> bool:
    """Whether the directory profile agrees the attribute a path names (its head)."""
    prefix = f"{ENTERPRISE}:" if attribute.startswith(ENTERPRISE) else ""
    head = re.split(r"[.\[]", attribute.removeprefix(prefix))[0]
    return agreement_for("directory").allows(prefix + head)


@pytest.fixture
def minimal(make_scim):
    return make_scim(name="Minimal IdP", profile="minimal")


@pytest.fixture
def directory(make_scim):
    return make_scim(name="Directory IdP", profile="directory")


@pytest.mark.parametrize("template", FILTERS)
@pytest.mark.parametrize(("unagreed", "unknown"), UNAGREED)
def test_a_filter_on_an_unagreed_attribute_is_refused_as_an_unknown_one(
    minimal, directory, template, unagreed, unknown
):
    def ask(attribute: str) -> Any:
        return users_query(minimal, filter=template.format(a=attribute))

    assert_refused_as_unknown(ask, unagreed, unknown, "invalidFilter")
    if directory_agrees(unagreed):
        assert users_query(directory, filter=template.format(a=unagreed)).status_code == 200


@pytest.mark.parametrize("template", MISTYPED_FILTERS)
@pytest.mark.parametrize(("unagreed", "unknown"), UNAGREED)
def test_a_mistyped_filter_on_an_unagreed_attribute_is_refused_as_an_unknown_one(
    minimal, directory, template, unagreed, unknown
):
    def ask(attribute: str) -> Any:
        return users_query(minimal, filter=template.format(a=attribute))

    assert_refused_as_unknown(ask, unagreed, unknown, "invalidFilter")
    if directory_agrees(unagreed):
        refused = users_query(directory, filter=template.format(a=unagreed)).json()
        assert "is not valid for attribute" in refused["detail"]


@pytest.mark.parametrize("template", VALUE_PATH_FILTERS)
def test_a_value_selection_over_an_unagreed_attribute_is_refused_as_an_unknown_one(
    minimal, directory, template
):
    def ask(attribute: str) -> Any:
        return users_query(minimal, filter=template.format(a=attribute))

    assert_refused_as_unknown(ask, *MULTI_VALUED, "invalidFilter")
    assert users_query(directory, filter=template.format(a="phoneNumbers")).status_code == 200


def test_name_pr_asks_only_of_the_agreed_parts_of_the_name(minimal, directory):
    PersonFactory(given_name="", family_name="", middle_name="Ada")

    for scim in (minimal, directory):
        assert users_query(scim, filter="name pr").json()["totalResults"] == 0


def test_a_directory_client_filters_on_what_it_agreed(directory):
    person = PersonFactory(title="Engineer", department="Research")
    PersonPhone.objects.create(person_id=person.pk, value="+44 20 7946 0000")
    PersonFactory(title="Nurse")

    for expression in (
        'phoneNumbers.value sw "+44 2"',
        'phoneNumbers[type eq "work" and value co "7946"]',
        'title eq "engineer"',
        f'{ENTERPRISE}:department eq "Research"',
    ):
        found = users_query(directory, filter=expression).json()
        assert [r["id"] for r in found["Resources"]] == [str(person.pk)], expression


@pytest.mark.parametrize(("unagreed", "unknown"), [*UNAGREED, MULTI_VALUED])
def test_a_sort_by_an_unagreed_attribute_is_refused_as_an_unknown_one(minimal, unagreed, unknown):
    def ask(attribute: str) -> Any:
        return users_query(minimal, sortBy=attribute)

    assert_refused_as_unknown(ask, unagreed, unknown, "invalidFilter")


def test_a_directory_client_sorts_by_what_it_agreed(directory):
    second = PersonFactory(title="b", department="a")
    first = PersonFactory(title="a", department="b")

    by_title = users_query(directory, sortBy="title").json()["Resources"]
    by_department = users_query(directory, sortBy=f"{ENTERPRISE}:department").json()["Resources"]

    assert [r["id"] for r in by_title] == [str(first.pk), str(second.pk)]
    assert [r["id"] for r in by_department] == [str(second.pk), str(first.pk)]


@pytest.mark.parametrize("parameter", ["attributes", "excludedAttributes"])
@pytest.mark.parametrize(("unagreed", "unknown"), [*UNAGREED, MULTI_VALUED])
def test_selecting_an_unagreed_attribute_answers_as_an_unknown_one(
    minimal, parameter, unagreed, unknown
):
    person = PersonFactory(title="Engineer", department="Research", middle_name="Augusta")
    PersonPhone.objects.create(person_id=person.pk, value="+44 20 7946 0000")

    for path in ("Users", f"Users/{person.pk}"):
        seen = minimal.get(f"{path}?{urlencode({parameter: unagreed})}")
        expected = minimal.get(f"{path}?{urlencode({parameter: unknown})}")
        assert (seen.status_code, seen.json()) == (expected.status_code, expected.json())


def test_a_directory_client_selects_what_it_agreed(directory):
    person = PersonFactory(title="Engineer")

    body = directory.get(f"Users/{person.pk}?attributes=title").json()

    assert body["title"] == "Engineer"


@pytest.mark.parametrize("path", ["Users/.search", ".search"])
@pytest.mark.parametrize("field", ["filter", "sortBy"])
def test_a_search_naming_an_unagreed_attribute_is_refused_as_an_unknown_one(
    minimal, directory, path, field
):
    def ask(attribute: str) -> Any:
        value = f'{attribute} sw "+44"' if field == "filter" else attribute
        return minimal.post(path, {"schemas": [SEARCH], field: value})

    assert_refused_as_unknown(ask, "phoneNumbers.value", "fooBar.value", "invalidFilter")
    agreed = directory.post(path, {"schemas": [SEARCH], "filter": 'phoneNumbers.value sw "+44"'})
    assert agreed.status_code == 200, agreed.content


def test_a_search_selecting_an_unagreed_attribute_answers_as_an_unknown_one(minimal):
    PersonFactory(title="Engineer")

    def ask(attribute: str) -> Any:
        return minimal.post("Users/.search", {"schemas": [SEARCH], "attributes": [attribute]})

    assert ask("title").json() == ask("fooBar").json()


PATCH_PATHS = [
    "title",
    "name.middleName",
    f"{ENTERPRISE}:department",
    "phoneNumbers",
    'phoneNumbers[type eq "work"].value',
    'phoneNumbers[value sw "+44"]',
]


@pytest.mark.parametrize("op", ["add", "replace", "remove"])
@pytest.mark.parametrize("unagreed", PATCH_PATHS)
def test_a_patch_path_naming_an_unagreed_attribute_is_refused_as_an_unknown_one(
    minimal, directory, op, unagreed
):
    person = PersonFactory()
    head = unagreed.split("[")[0].split(".")[0].rsplit(":", 1)[-1]
    unknown = unagreed.replace(head, "fooBar")
    value = {} if op == "remove" else {"value": "+44 20 7946 0000"}

    def ask(path: str) -> Any:
        return minimal.patch(f"Users/{person.pk}", patch_ops({"op": op, "path": path, **value}))

    assert_refused_as_unknown(ask, unagreed, unknown, "invalidPath")
    if directory_agrees(unagreed):
        agreed = directory.patch(
            f"Users/{person.pk}", patch_ops({"op": op, "path": unagreed, **value})
        )
        assert agreed.json().get("scimType") != "invalidPath", agreed.content


def bulk_patch(scim: Any, person: Any, path: str) -> Any:
    operation = {"op": "remove", "path": path}
    return scim.post(
        "Bulk",
        {
            "schemas": [BULK],
            "Operations": [
                {"method": "PATCH", "path": f"/Users/{person.pk}", "data": patch_ops(operation)}
            ],
        },
    )


def test_a_bulk_patch_path_naming_an_unagreed_attribute_is_refused_as_an_unknown_one(
    minimal, directory
):
    person = PersonFactory()

    def ask(attribute: str) -> Any:
        return bulk_patch(minimal, person, f'{attribute}[value sw "+44"]')

    seen, expected = (ask(attribute).json()["Operations"][0] for attribute in MULTI_VALUED)
    assert expected["status"] == "400"
    assert expected["response"]["scimType"] == "invalidPath"
    detail = seen["response"]["detail"].replace(*MULTI_VALUED)
    assert seen | {"response": seen["response"] | {"detail": detail}} == expected
    agreed = bulk_patch(directory, person, 'phoneNumbers[value sw "+44"]').json()
    assert agreed["Operations"][0]["status"] == "200"


def test_a_group_filter_on_a_members_display_outside_the_agreement_is_unknown(minimal):
    """Groups are governed by the same agreement: a member's display is their displayName."""
    join(GroupFactory(), PersonFactory(display_name="Ada"))
    nameless = Agreement("minimal", "no names", frozenset({"userName"}))

    def ask(attribute: str) -> Any:
        return minimal.get("Groups?" + urlencode({"filter": attribute + ' sw "A"'}))

    with mock.patch.dict(scim_agreements.AGREEMENTS, {"minimal": nameless}):
        assert_refused_as_unknown(ask, "members.display", "members.fooBar", "invalidFilter")
        sort = minimal.get("Groups?sortBy=members.display")
        assert sort.json()["detail"] == "sortBy: 'members.display' is not an attribute"
    assert ask("members.display").json()["totalResults"] == 1


# Every request a client could make that touches a person's phone numbers, by name or not.
def query(path: str, **parameters: str) -> str:
    return f"{path}?{urlencode(parameters)}"


def remove(path: str) -> dict[str, Any]:
    return patch_ops({"op": "remove", "path": path})


def search(expression: str) -> dict[str, Any]:
    return {"schemas": [SEARCH], "filter": expression}


PROBES: list[tuple[str, str, Any]] = [
    ("get", "Users/{id}", None),
    ("get", query("Users/{id}", attributes="phoneNumbers"), None),
    ("get", query("Users/{id}", excludedAttributes="phoneNumbers"), None),
    ("get", query("Users", filter='id eq "{id}" and phoneNumbers.value sw "+44 2"'), None),
    ("get", query("Users", filter='phoneNumbers[type eq "work" and value sw "+44"]'), None),
    ("get", query("Users", filter='not(phoneNumbers pr) and id eq "{id}"'), None),
    ("get", query("Users", filter='phoneNumbers.value gt "+3"'), None),
    ("get", query("Users", filter='phoneNumbers co "7946"'), None),
    ("get", query("Users", sortBy="phoneNumbers.value"), None),
    ("get", query("Users", filter="name pr", sortBy="userName"), None),
    ("post", "Users/.search", search('phoneNumbers.value sw "+44"')),
    ("post", ".search", search('phoneNumbers.value sw "+44"')),
    ("post", ".search", search("phoneNumbers pr")),
    ("patch", "Users/{id}", remove('phoneNumbers[value sw "+44"]')),
    ("patch", "Users/{id}", patch_ops({"op": "replace", "path": "displayName", "value": "A"})),
    (
        "post",
        "Bulk",
        {
            "schemas": [BULK],
            "Operations": [
                {
                    "method": "PATCH",
                    "path": "/Users/{id}",
                    "data": remove('phoneNumbers[value sw "+44 2"]'),
                }
            ],
        },
    ),
]
PHONES = [("work", "+44 20 7946 0000"), ("work", "+1 202 555 0100"), None]


def observe(scim: Any, person: Any) -> list[tuple[int, bytes, str | None]]:
    """Every probe's answer, each from the same state: what it writes is rolled back."""
    answers = []
    for method, template, body in PROBES:
        path = template.replace("{id}", str(person.pk)).replace("%7Bid%7D", str(person.pk))
        data = None if body is None else _with_id(body, str(person.pk))
        with transaction.atomic():
            call = getattr(scim, method)
            response = call(path) if data is None else call(path, data)
            answers.append((response.status_code, response.content, response.get("ETag")))
            transaction.set_rollback(True)
    return answers


def _with_id(body: Any, person_id: str) -> Any:
    if isinstance(body, str):
        return body.replace("{id}", person_id)
    if isinstance(body, list):
        return [_with_id(item, person_id) for item in body]
    if isinstance(body, dict):
        return {key: _with_id(value, person_id) for key, value in body.items()}
    return body


def answers_per_phone(scim: Any) -> list[list[tuple[int, bytes, str | None]]]:
    with time_machine.travel(datetime(2026, 1, 5, 9, tzinfo=UTC), tick=False):
        person = PersonFactory(user_name="ada@example.org", title="Engineer")
        PersonEmailFactory(person=person)
        PersonFactory(user_name="grace@example.org")
        seen = []
        for phone in PHONES:
            PersonPhone.objects.filter(person_id=person.pk).delete()
            if phone:
                PersonPhone.objects.create(person_id=person.pk, type=phone[0], value=phone[1])
            seen.append(observe(scim, person))
    return seen


@pytest.mark.parametrize("mode", ["strict", "drop"])
def test_a_minimal_client_cannot_tell_people_apart_by_their_phone_numbers(make_scim, mode):
    minimal = make_scim(name=f"Minimal {mode}", profile="minimal", mode=mode)

    first, *others = answers_per_phone(minimal)

    for other in others:
        assert other == first


def test_a_directory_client_can_tell_them_apart(directory):
    first, second, third = answers_per_phone(directory)

    assert first != second != third


def test_the_formatted_name_cannot_reveal_an_unagreed_part_of_the_name(minimal, directory):
    """The database's formatted name holds the middle name, which no profile agrees."""
    PersonFactory(given_name="Ada", middle_name="Augusta", family_name="Lovelace")

    for scim in (minimal, directory):

        def ask(attribute: str, scim: Any = scim) -> Any:
            return users_query(scim, filter=f'{attribute} co "Augusta"')

        assert_refused_as_unknown(ask, "name.formatted", "name.fooBar", "invalidFilter")
