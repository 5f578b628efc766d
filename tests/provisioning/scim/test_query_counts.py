"""Reads cost a fixed number of queries, whatever the page size; each kind of write a
fixed number too, pinned here."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from provisioning.models import AccessGrant, Membership, PersonEmail
from tests.factories import GroupFactory, PersonFactory, RoleFactory, RoleTemplateFactory
from tests.provisioning.scim.conftest import ENTERPRISE, PATCH_SCHEMA, USER_SCHEMA

pytestmark = pytest.mark.django_db


def queries_for(scim, url):
    with CaptureQueriesContext(connection) as captured:
        response = scim.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.json()


@pytest.mark.postgresql
def test_a_page_of_users_with_their_groups_costs_the_same_for_10_or_100(scim):
    groups = GroupFactory.create_batch(3)
    people = PersonFactory.create_batch(100)
    Membership.objects.bulk_create([Membership(group=g, person=p) for p in people for g in groups])
    PersonEmail.objects.bulk_create(
        [PersonEmail(person=p, value=p.user_name, primary=True) for p in people]
    )
    scim.get("Users?count=1")  # the client's last use is recorded once, outside the count

    small, _ = queries_for(scim, "Users?count=10")
    large, body = queries_for(scim, "Users?count=100")

    assert len(body["Resources"]) == 100
    assert len(body["Resources"][0]["groups"]) == 3
    assert large == small
    assert large <= 2  # the page with contacts and groups, and its COUNT


@pytest.mark.postgresql
def test_a_page_of_groups_with_members_costs_the_same_for_10_or_100(scim):
    people = PersonFactory.create_batch(5)
    groups = GroupFactory.create_batch(100)
    Membership.objects.bulk_create([Membership(group=g, person=p) for g in groups for p in people])
    scim.get("Groups?count=1")

    small, _ = queries_for(scim, "Groups?count=10")
    large, body = queries_for(scim, "Groups?count=100")

    assert len(body["Resources"][0]["members"]) == 5
    assert large == small


@pytest.mark.postgresql
def test_creating_a_user_reads_no_contacts_it_cannot_have_yet(scim, django_assert_max_num_queries):
    scim.get("Users?count=1")  # the client's last use is recorded once, outside the count
    payload = {
        "schemas": [USER_SCHEMA],
        "userName": "new.hire",
        "emails": [{"value": "new.hire@example.org", "type": "work", "primary": True}],
    }

    # The person, the e-mail, the templates with their roles (one query), the events
    # (sealed into the chain by the database at commit), and the enabled connectors (read
    # in the transaction to write the outbox's pushes): 5. No uniqueness query (the unique indexes
    # refuse a taken userName in the insert), no look-up of users the IdP deleted (only
    # when the insert is refused), no read of what was just written for the answer. In a
    # test the outer transaction is a savepoint too: two more than in production.
    with django_assert_max_num_queries(7) as captured:
        assert scim.post("Users", payload).status_code == 201

    contact_reads = [
        q for q in captured.captured_queries if 'FROM "provisioning_personemail"' in q["sql"]
    ]
    assert not contact_reads


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@contextmanager
def work_statements() -> Iterator[list[str]]:
    """The statements run on every database (the key store too), as `make bench` counts
    them, less transaction control: in a test every transaction is a savepoint of the
    test's own, which production does not run."""
    found: list[str] = []
    with ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(connections[a])) for a in connections]
        yield found
    found.extend(
        query["sql"]
        for context in captured
        for query in context.captured_queries
        if not query["sql"].startswith(TRANSACTION_CONTROL)
    )


@pytest.fixture
def known(scim):
    """A client whose token is already resolved (cached) and whose last use is recorded."""
    scim.get("ServiceProviderConfig")
    return scim


def user_body(user_name, title):
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": user_name,
        "externalId": f"ext-{user_name}",
        "name": {"givenName": "Okta", "familyName": "User"},
        "title": title,
        "active": True,
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        ENTERPRISE: {"employeeNumber": "E1", "department": "Sales"},
    }


@pytest.mark.postgresql
def test_a_user_lookup_reads_the_person_contacts_and_groups_only(
    known, django_assert_max_num_queries
):
    person = PersonFactory()

    # No token read, no COUNT, no write: the person with its e-mails, phones and
    # memberships (a subquery of the same statement).
    with django_assert_max_num_queries(1):
        body = known.get(f'Users?filter=userName eq "{person.user_name}"').json()

    assert body["totalResults"] == 1


@pytest.mark.postgresql
def test_reading_a_user_by_id_is_one_query(known, django_assert_max_num_queries):
    person = PersonFactory()
    PersonEmail.objects.create(person_id=person.pk, value="one@example.org", primary=True)
    Membership.objects.create(person_id=person.pk, group_id=GroupFactory().pk)

    # The person with e-mails, phones and groups, as a lookup reads them.
    with django_assert_max_num_queries(1):
        body = known.get(f"Users/{person.pk}").json()

    assert body["emails"][0]["value"] == "one@example.org"
    assert len(body["groups"]) == 1


@pytest.mark.postgresql
def test_a_group_lookup_by_display_name_is_one_query(known, django_assert_max_num_queries):
    group = GroupFactory(display_name="Sales")

    with django_assert_max_num_queries(1):
        body = known.get('Groups?excludedAttributes=members&filter=displayName eq "Sales"').json()

    assert body["Resources"][0]["id"] == str(group.pk)


@pytest.mark.postgresql
def test_replacing_a_user_that_moves_costs_a_fixed_number_of_queries(
    known, django_assert_max_num_queries
):
    user = known.post("Users", user_body("okta.user@example.org", "Engineer")).json()

    # The row locked with its contacts and groups in the same statement, the view's only
    # read (404 and If-Match are answered from it; the contacts compared with what is
    # sent, and the answer built, from it too); the update; the events (sealed at
    # commit); the mover's templates with their roles and the grants held (on the row
    # already locked); the connectors, for the outbox's pushes: 6 in production. No
    # django-auditlog read of the old row or entry (people left it), no second lock, no
    # read for the answer. In a test two more, for the test's own savepoint.
    with django_assert_max_num_queries(8) as captured:
        response = known.put(f"Users/{user['id']}", user_body("okta.user@example.org", "Lead"))

    assert response.json()["title"] == "Lead"
    assert not [q for q in captured.captured_queries if "auditlog" in q["sql"]]


@pytest.mark.postgresql
def test_replacing_a_user_that_does_not_move_reads_no_templates(
    known, django_assert_max_num_queries
):
    user = known.post("Users", user_body("okta.user@example.org", "Engineer")).json()
    renamed = user_body("okta.user@example.org", "Engineer")
    renamed["name"]["givenName"] = "Renamed"

    # As the moving PUT, without the mover's templates and grants: 4 in production.
    with django_assert_max_num_queries(6) as captured:
        response = known.put(f"Users/{user['id']}", renamed)

    assert response.json()["name"]["givenName"] == "Renamed"
    assert not [q for q in captured.captured_queries if "roletemplate" in q["sql"]]


@pytest.mark.postgresql
def test_a_multi_operation_user_patch_costs_a_fixed_number_of_queries(
    known, django_assert_max_num_queries
):
    user = known.post("Users", user_body("entra.user@example.org", "Engineer")).json()
    operations = [
        {"op": "Replace", "path": "title", "value": "Lead"},
        {"op": "Replace", "path": "name.familyName", "value": "Other"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Research"},
        {"op": "Add", "path": "displayName", "value": "Entra User"},
        {"op": "Replace", "path": "active", "value": True},
    ]

    # As the moving PUT: the row is locked once with its contacts and groups for the
    # read-patch-write (so that concurrent PATCHes queue instead of answering 412), and
    # the resource the operations patch is built from that read: 6 in production.
    with django_assert_max_num_queries(8):
        response = known.patch(
            f"Users/{user['id']}", {"schemas": [PATCH_SCHEMA], "Operations": operations}
        )

    assert response.json()["title"] == "Lead"


@pytest.mark.postgresql
def test_replacing_contacts_answers_the_new_ones_without_reading_them_back(
    known, django_assert_max_num_queries
):
    user = known.post("Users", user_body("okta.user@example.org", "Engineer")).json()
    changed = user_body("okta.user@example.org", "Engineer")
    changed["emails"] = [
        {"value": "second@example.org", "type": "home"},
        {"value": "okta.user@example.org", "type": "work", "primary": True},
    ]
    group = GroupFactory()
    Membership.objects.create(person_id=user["id"], group_id=group.pk)

    with django_assert_max_num_queries(8) as captured:
        body = known.put(f"Users/{user['id']}", changed).json()

    assert [(e["value"], e.get("primary", False)) for e in body["emails"]] == [
        ("okta.user@example.org", True),
        ("second@example.org", False),
    ]
    assert [g["value"] for g in body["groups"]] == [str(group.pk)]
    assert body == known.get(f"Users/{user['id']}").json()
    details_reads = [
        q for q in captured.captured_queries if q["sql"].startswith("SELECT \"person_id\", 'email'")
    ]
    assert not details_reads  # the lock's statement read them; the answer shows what was written


@pytest.mark.postgresql
def test_deleting_a_user_costs_a_fixed_number_of_queries(known, django_assert_max_num_queries):
    user = known.post("Users", user_body("okta.user@example.org", "Engineer")).json()

    # The view's read; the row locked once (the leaver path works on it as locked, with
    # no savepoint of its own); the deactivation (its version known under the lock, not
    # read back); its event; the grants ended, the requests cancelled and the approvals
    # handed on (3, the leaver's addresses as read with the lock); the deletion; the
    # deprovisioning's and the deletion's events; the connectors, once for the whole
    # change: 11 in production.
    with django_assert_max_num_queries(13):
        assert known.delete(f"Users/{user['id']}").status_code == 204

    assert known.get(f"Users/{user['id']}").status_code == 404


@pytest.mark.postgresql
def test_adding_a_group_member_costs_a_fixed_number_of_queries(
    known, django_assert_max_num_queries
):
    group, person = GroupFactory(), PersonFactory()
    body = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": str(person.pk)}]}],
    }

    # The view's read; the row locked; the people with whether each is a member already
    # (one query); the insert; the version; the events; the connectors mapped to the
    # group: 7 in production. No savepoint per operation, no read back of the version.
    with django_assert_max_num_queries(9):
        response = known.patch(f"Groups/{group.pk}", body)

    assert response.status_code == 204
    assert response.headers["ETag"] == f'W/"{group.version + 1}"'
    assert Membership.objects.filter(group_id=group.pk, person_id=person.pk).exists()


def key_reads(captured):
    return [q for q in captured.captured_queries if 'FROM "compliance_subjectkey"' in q["sql"]]


@pytest.mark.postgresql
def test_a_mover_gaining_a_template_grant_reads_their_key_once(known):
    RoleTemplateFactory(title="Lead", roles=[RoleFactory()])
    user = known.post("Users", user_body("okta.user@example.org", "Engineer")).json()

    # The person.updated and grant.created events are sealed under the same key: the
    # request keeps it (SubjectKeysMiddleware) rather than asking the key store twice.
    with CaptureQueriesContext(connections["keys"]) as captured:
        response = known.put(f"Users/{user['id']}", user_body("okta.user@example.org", "Lead"))

    assert response.status_code == 200
    assert AccessGrant.objects.filter(person_id=user["id"]).count() == 1
    assert len(key_reads(captured)) == 1


@pytest.mark.postgresql
def test_the_next_request_reads_the_key_store_again(known):
    user = known.post("Users", user_body("okta.user@example.org", "Engineer")).json()

    for title in ("Lead", "Head"):
        with CaptureQueriesContext(connections["keys"]) as captured:
            known.put(f"Users/{user['id']}", user_body("okta.user@example.org", title))

        assert len(key_reads(captured)) == 1


@pytest.mark.postgresql
def test_a_create_and_a_moving_replace_stay_within_issue_21s_budget_on_both_databases(known):
    """Issue 21's budget, on both databases as the bench counts: a POST /Users at most 8
    statements, an Okta PUT that moves the person at most 8."""
    payload = user_body("okta.user@example.org", "Engineer")

    with work_statements() as created:
        user = known.post("Users", payload).json()
    with work_statements() as replaced:
        known.put(f"Users/{user['id']}", user_body("okta.user@example.org", "Lead"))

    # The create's 5, the erasure ledger's check, and the joiner's key made without
    # looking for it first (their id was drawn just now): 7.
    assert len(created) == 7, created
    # The moving PUT's 6, the ledger's check, and the person's key for this quarter: 8.
    assert len(replaced) == 8, replaced
