"""mapping.person_payload builds a User response as a dict; it must give exactly what
scim2-models gives for the same person (person_resource, dumped for a response)."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from scim2_models import Context, SearchRequest

from compliance.inventory import ENTERPRISE
from compliance.scim_agreements import AGREEMENTS
from provisioning.models import Person
from provisioning.people_pages import ContactRow, PersonDetails
from provisioning.scim import mapping

BASE = "https://portal.example/scim/v2"
EVERYTHING = frozenset(mapping.STRING_FIELDS) | {
    "active", "emails", "phoneNumbers", mapping.MANAGER,
}  # fmt: skip
AGREED = {
    **{name: agreement.attributes for name, agreement in AGREEMENTS.items()},
    "everything": EVERYTHING,
    "names only": frozenset({"userName", "name.givenName", "NAME.familyname"}),
    "account only": frozenset({"userName"}),
    "manager only": frozenset({"userName", mapping.MANAGER}),
}


def full_person() -> Person:
    values = {field: f"{field}-value" for field in mapping.STRING_FIELDS.values()}
    return Person(
        **values | {"user_name": "ada@example.org"},
        manager_id=uuid.uuid4(),
        active=False,
        created=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        modified=datetime(2025, 6, 7, 8, 9, 10, tzinfo=UTC),
        version=7,
    )


def sparse_person() -> Person:
    return Person(
        user_name="bob@example.org",
        given_name="Bob",
        created=datetime(2024, 1, 1, tzinfo=UTC),
        modified=datetime(2024, 1, 1, tzinfo=UTC),
        version=1,
    )


def empty_person() -> Person:
    return Person(
        user_name="nobody@example.org",
        created=datetime(2024, 1, 1, tzinfo=UTC),
        modified=datetime(2024, 1, 1, tzinfo=UTC),
        version=1,
    )


FULL_DETAILS = PersonDetails(
    emails=[
        ContactRow("Ada.Lovelace@Example.COM", "work", True),
        ContactRow("ada@home.example", "home", False),
        ContactRow("ada@other.example", "other", False),
    ],
    phones=[ContactRow("+44 20 7946 0000", "work", True), ContactRow("555", "mobile", False)],
    group_ids=[uuid.uuid4(), uuid.uuid4()],
)
PEOPLE = {
    "full": (full_person, FULL_DETAILS),
    "sparse": (sparse_person, PersonDetails(emails=[ContactRow("bob@example.org", "work", False)])),
    "empty": (empty_person, PersonDetails()),
}


def scim2_models_dump(person: Person, details: PersonDetails, **options: Any) -> dict[str, Any]:
    resource = mapping.person_resource(person, details, base=BASE, **options)
    return resource.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
        response_parameters=SearchRequest.model_validate({}, scim_ctx=Context.SEARCH_REQUEST),
    )


@pytest.mark.parametrize("with_groups", [True, False])
@pytest.mark.parametrize("agreement", list(AGREED))
@pytest.mark.parametrize("kind", list(PEOPLE))
def test_person_payload_is_the_scim2_models_dump(kind: str, agreement: str, with_groups: bool):
    make, details = PEOPLE[kind]
    person = make()
    options = {"agreed": AGREED[agreement], "with_groups": with_groups}

    payload = mapping.person_payload(person, details, base=BASE, **options)

    expected = scim2_models_dump(person, details, **options)
    assert json.dumps(payload) == json.dumps(expected)  # the same keys, in the same order


def test_person_payload_shows_the_enterprise_extension_only_when_agreed():
    payload = mapping.person_payload(
        full_person(), FULL_DETAILS, base=BASE, agreed=AGREEMENTS["minimal"].attributes,
        with_groups=False,
    )  # fmt: skip

    assert ENTERPRISE not in payload
    assert "phoneNumbers" not in payload
