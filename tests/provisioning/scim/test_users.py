"""/Users with the payloads Entra ID and Okta send."""

import pytest

from compliance.audit.models import AuditEvent
from provisioning.models import Person
from tests.factories import PersonEmailFactory, PersonFactory
from tests.provisioning.scim.conftest import ENTERPRISE, USER_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db

# As Microsoft documents Entra ID's creation request (with the enterprise extension).
ENTRA_CREATE = {
    "schemas": [USER_SCHEMA, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee@testuser.com",
    "active": True,
    "displayName": "Test User",
    "emails": [{"primary": True, "type": "work", "value": "Test_User_ab6490ee@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName",
    },
    "title": "Engineer",
    ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations"},
}

# As Okta documents its creation request.
OKTA_CREATE = {
    "schemas": [USER_SCHEMA],
    "userName": "test.user@okta.example.com",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.example.com", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


def test_entra_creates_a_user_with_the_enterprise_extension(scim):
    response = scim.post("Users", ENTRA_CREATE)

    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    person = Person.objects.get(user_name="Test_User_ab6490ee@testuser.com")
    assert body["id"] == str(person.pk)
    assert body[ENTERPRISE]["department"] == "Tour Operations"
    assert person.employee_number == "701984"
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"] == f"http://testserver/scim/v2/Users/{person.pk}"
    assert body["meta"]["version"] == response["ETag"] == 'W/"1"'
    assert {"created", "lastModified"} <= set(body["meta"])
    assert response["Location"] == body["meta"]["location"]
    event = AuditEvent.objects.get(action="person.created")
    assert (event.actor_kind, event.channel) == ("scim-client", "scim")
    assert event.actor_id == str(scim.client.pk)


def test_okta_creates_a_user_and_its_placeholder_password_is_discarded(scim):
    """Okta sends a password with every create, even with password sync off."""
    response = scim.post("Users", {k: v for k, v in OKTA_CREATE.items() if k != "locale"})

    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    assert Person.objects.get().external_id == "00ujl29u0le5T6Aj10h7"
    events = AuditEvent.objects.all()
    assert "1mz050nq" not in str([(e.data, e.ciphertext) for e in events])
    assert not events.filter(action="scim.attribute_dropped").exists()


def test_a_password_in_drop_mode_is_discarded_without_a_recorded_drop(make_scim):
    scim = make_scim(mode="drop")

    response = scim.post("Users", {k: v for k, v in OKTA_CREATE.items() if k != "locale"})

    assert response.status_code == 201, response.content
    assert not AuditEvent.objects.filter(action="scim.attribute_dropped").exists()


def test_okta_creates_a_user_without_a_password(scim):
    payload = {k: v for k, v in OKTA_CREATE.items() if k not in {"password", "locale"}}

    response = scim.post("Users", payload)

    assert response.status_code == 201, response.content
    assert Person.objects.get().external_id == "00ujl29u0le5T6Aj10h7"


@pytest.mark.parametrize("taken", ["TEST.USER@okta.example.com", "test.user@OKTA.example.com"])
def test_a_user_name_taken_in_any_case_is_409_uniqueness(scim, taken):
    PersonFactory(user_name="test.user@okta.example.com")

    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": taken})

    assert_scim_error(response, 409, "uniqueness")


def test_an_external_id_taken_is_409_uniqueness(scim):
    PersonFactory(external_id="abc")

    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "x", "externalId": "abc"})

    assert_scim_error(response, 409, "uniqueness")


def test_a_missing_user_name_is_400(scim):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "displayName": "x"})

    assert response.status_code == 400
    assert response.json()["scimType"] in {"invalidValue", "invalidSyntax"}


def test_a_wrong_type_is_400_invalid_value(scim):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "x", "emails": "nope"})

    assert_scim_error(response, 400, "invalidValue")


def test_get_one_user(scim):
    person = PersonFactory(manager=PersonFactory())
    PersonEmailFactory(person=person)

    body = scim.get(f"Users/{person.pk}").json()

    assert body["userName"] == person.user_name
    assert body["emails"][0]["value"] == person.user_name
    assert body[ENTERPRISE]["manager"]["value"] == str(person.manager_id)
    assert body["name"]["givenName"] == person.given_name


def test_an_unknown_id_is_404(scim):
    assert_scim_error(scim.get("Users/7b3a0c4e-4b0e-4c8e-8a7a-000000000000"), 404)
    assert_scim_error(scim.get("Users/not-a-uuid"), 404)


def test_if_none_match_with_the_current_version_is_304(scim):
    person = PersonFactory()

    response = scim.get(f"Users/{person.pk}", **{"If-None-Match": 'W/"1"'})

    assert response.status_code == 304


def test_list_finds_by_user_name_in_any_case(scim):
    PersonFactory(user_name="Alice@example.org")
    PersonFactory(user_name="bob@example.org")

    body = scim.get('Users?filter=userName eq "alice@EXAMPLE.org"').json()

    assert body["totalResults"] == 1
    assert body["Resources"][0]["userName"] == "Alice@example.org"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]


def test_list_finds_by_external_id(scim):
    PersonFactory(external_id="x-1")
    PersonFactory(external_id="x-2")

    body = scim.get('Users?filter=externalId eq "x-2"').json()

    assert [r["externalId"] for r in body["Resources"]] == ["x-2"]


def test_an_unsupported_filter_is_400_invalid_filter(scim):
    assert_scim_error(scim.get('Users?filter=nickName xx "a"'), 400, "invalidFilter")


def test_list_pages_with_start_index_and_count(scim):
    people = [PersonFactory() for _ in range(5)]

    body = scim.get("Users?startIndex=2&count=2").json()

    assert body["totalResults"] == 5
    assert (body["startIndex"], body["itemsPerPage"]) == (2, 2)
    assert [r["id"] for r in body["Resources"]] == [str(p.pk) for p in people[1:3]]


@pytest.mark.parametrize(
    ("query", "total", "returned"),
    [
        ("startIndex=4&count=10", 5, 2),  # the last, partial page
        ("startIndex=9&count=10", 5, 0),  # beyond the end
        ("count=0", 5, 0),  # only the total
    ],
)
def test_total_results_is_right_on_partial_and_empty_pages(scim, query, total, returned):
    for _ in range(5):
        PersonFactory()

    body = scim.get(f"Users?{query}").json()

    assert (body["totalResults"], body["itemsPerPage"]) == (total, returned)


def test_a_lookup_that_fits_on_one_page_is_not_counted_again(scim, django_assert_max_num_queries):
    person = PersonFactory()

    # The token's first read and the client's last use, then the person and its details.
    with django_assert_max_num_queries(4) as captured:
        body = scim.get(f'Users?filter=userName eq "{person.user_name}"').json()

    assert body["totalResults"] == 1
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_filter_with_more_conditions_than_allowed_is_too_many(scim, settings):
    settings.SCIM_MAX_FILTER_TERMS = 3
    within = 'userName eq "a" or userName eq "b" or emails[value co "c"]'
    beyond = within + " or not (externalId pr)"

    assert scim.get(f"Users?filter={within}").status_code == 200
    body = assert_scim_error(scim.get(f"Users?filter={beyond}"), 400, "tooMany")
    assert "4 conditions" in body["detail"]


def test_count_is_capped_at_max_results(scim, settings):
    settings.SCIM_MAX_RESULTS = 3
    for _ in range(5):
        PersonFactory()

    assert scim.get("Users?count=100").json()["itemsPerPage"] == 3


def test_attributes_selects_what_is_returned(scim):
    person = PersonFactory()

    body = scim.get(f"Users/{person.pk}?attributes=userName").json()

    assert set(body) == {"schemas", "id", "userName"}


def test_excluded_attributes_leaves_them_out(scim):
    person = PersonFactory()

    body = scim.get(f"Users/{person.pk}?excludedAttributes=name,emails").json()

    assert "name" not in body
    assert body["userName"] == person.user_name
