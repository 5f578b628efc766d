"""/Bulk's User creations run as one batch: a fixed number of queries however many, and
each operation's result the one it gets on its own (RFC 7644 §3.7)."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from compliance.audit import chain
from compliance.audit.models import AuditEvent
from compliance.outbox.models import OutboxMessage
from provisioning.connectors.tasks import push_person
from provisioning.models import AccessGrant, Person, PersonEmail
from provisioning.services import persons
from tests.compliance.outbox.test_outbox import slack  # noqa: F401 - a fixture used below
from tests.factories import PersonFactory, RoleFactory, RoleTemplateFactory
from tests.provisioning.scim.conftest import ENTERPRISE, USER_SCHEMA
from tests.provisioning.scim.test_bulk import bulk

pytestmark = pytest.mark.django_db


def user(name, **extra):
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": name,
        "externalId": f"ext-{name}",
        "name": {"givenName": "New", "familyName": "Hire"},
        "title": "Engineer",
        "emails": [{"value": f"{name}@example.org", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}],
        ENTERPRISE: {"department": "Engineering"},
        **extra,
    }


def create(name, **extra):
    return {"method": "POST", "path": "/Users", "bulkId": name, "data": user(name, **extra)}


def statuses(response):
    assert response.status_code == 200, response.content
    return [result["status"] for result in response.json()["Operations"]]


@pytest.fixture
def engineers():
    """A birthright template every created user matches, and one nobody does."""
    RoleTemplateFactory(name="Sales", department="Sales", roles=[RoleFactory(name="CRM")])
    return RoleTemplateFactory(
        name="Engineers", department="engineering", roles=[RoleFactory(name="GitHub")]
    )


def queries_of_bulk(scim, prefix, size):
    """The queries of one /Bulk of `size` creations, on the database and the key store."""
    operations = [create(f"{prefix}{n}") for n in range(size)]
    with (
        CaptureQueriesContext(connections["default"]) as main,
        CaptureQueriesContext(connections["keys"]) as keys,
    ):
        response = scim.post("Bulk", bulk(*operations))
    assert statuses(response) == ["201"] * size
    return len(main.captured_queries), len(keys.captured_queries)


@pytest.mark.postgresql
@pytest.mark.usefixtures("slack")  # an enabled connector: every creation pushes
def test_a_thousand_creations_cost_the_queries_of_ten(scim, engineers):
    scim.get("ServiceProviderConfig")  # the token resolved and its use recorded, outside

    ten = queries_of_bulk(scim, "small", 10)
    thousand = queries_of_bulk(scim, "large", 1000)

    assert thousand == ten
    # Main database: the uniqueness check (once: the batch's check serves the insert, and
    # finds nobody deleted to bring back), the transaction's savepoint and release (a
    # test's transaction is open), the people, e-mails, phones, templates and their roles,
    # grants, events (the chain is sealed at commit), the connectors and the outbox's rows.
    # Key store: the erasure ledger, and the new people's keys made (none to read).
    assert thousand[0] <= 11
    assert thousand[1] <= 2
    assert Person.objects.filter(user_name__startswith="large").count() == 1000
    assert AccessGrant.objects.filter(template=engineers).count() == 1010
    assert PersonEmail.objects.count() == 1010
    assert OutboxMessage.objects.filter(task=push_person.name).count() == 1010


def test_each_creation_is_recorded_as_a_single_post_records_it(scim, engineers):
    response = scim.post("Bulk", bulk(create("ann"), create("ben")))

    assert statuses(response) == ["201", "201"]
    ann = Person.objects.get(user_name="ann")
    events = AuditEvent.objects.filter(subject_id=str(ann.pk)).order_by("sequence")
    assert [event.action for event in events] == ["person.created", "grant.created"]
    assert {event.channel for event in events} == {"scim"}
    assert all(event.ciphertext for event in events)  # snapshot and reason, encrypted
    assert chain.verify().ok
    result = response.json()["Operations"][0]
    assert result["location"].endswith(f"/Users/{ann.pk}")
    assert result["version"] == f'W/"{ann.version}"'
    assert scim.get(f"Users/{ann.pk}").json()["emails"][0]["value"] == "ann@example.org"


def test_a_refused_creation_does_not_undo_the_others(scim):
    PersonFactory(user_name="taken")
    response = scim.post(
        "Bulk",
        bulk(
            create("ann"),
            create("ANN"),  # the same userName, in another case
            create("taken"),  # against the database
            create("bad", emails=[{"value": "not an address", "type": "work"}]),
            {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"userName": 7}},
            create("cy", externalId="ext-ann"),  # ann's externalId
            create("dee"),
        ),
    )

    results = response.json()["Operations"]
    assert statuses(response) == ["201", "409", "409", "400", "400", "409", "201"]
    assert [r["response"].get("scimType") for r in results if "response" in r] == [
        "uniqueness",
        "uniqueness",
        "invalidValue",
        "invalidValue",
        "uniqueness",
    ]
    assert [r["bulkId"] for r in results] == ["ann", "ANN", "taken", "bad", "x", "cy", "dee"]
    assert set(Person.objects.values_list("user_name", flat=True)) == {"taken", "ann", "dee"}


def test_a_refused_entry_frees_its_name_for_a_later_one(scim):
    """One after the other, a POST refused for its e-mail takes no userName."""
    response = scim.post(
        "Bulk",
        bulk(create("ann", emails=[{"value": "nope", "type": "work"}]), create("ann")),
    )

    assert statuses(response) == ["400", "201"]


def test_fail_on_errors_stops_inside_a_batch(scim):
    response = scim.post(
        "Bulk",
        bulk(
            create("ann"),
            {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"userName": 7}},
            create("ann"),
            create("ben"),
            failOnErrors=2,
        ),
    )

    assert statuses(response) == ["201", "400", "409"]
    assert not Person.objects.filter(user_name="ben").exists()


def test_a_creation_may_refer_to_one_earlier_in_the_same_request(scim):
    response = scim.post(
        "Bulk",
        bulk(
            create("boss"),
            create("report", **{ENTERPRISE: {"manager": {"value": "bulkId:boss"}}}),
        ),
    )

    assert statuses(response) == ["201", "201"]
    report = Person.objects.get(user_name="report")
    assert report.manager == Person.objects.get(user_name="boss")


def test_a_deleted_user_posted_again_in_a_batch_comes_back(scim):
    first = scim.post("Users", user("ann")).json()
    assert scim.delete(f"Users/{first['id']}").status_code == 204

    response = scim.post("Bulk", bulk(create("ben"), create("ann"), create("cy")))

    assert statuses(response) == ["201", "201", "201"]
    assert response.json()["Operations"][1]["location"].endswith(f"/Users/{first['id']}")
    assert Person.objects.get(pk=first["id"]).scim_deleted_at is None
    assert Person.objects.count() == 3


def test_a_name_taken_between_the_check_and_the_insert_is_a_409_for_that_operation(
    scim, monkeypatch
):
    """A concurrent writer got in first: the constraint refuses the batch's insert, and
    the operations run one by one, each with its own answer."""
    PersonFactory(user_name="ben")
    real = persons.selectors.identifiers_held
    missed = iter([True, False])  # the batch's check misses ben; the single POSTs see him

    def racing(**kwargs):
        return (set(), set()) if next(missed, False) else real(**kwargs)

    monkeypatch.setattr(persons.selectors, "identifiers_held", racing)

    response = scim.post("Bulk", bulk(create("ann"), create("ben"), create("cy")))

    assert statuses(response) == ["201", "409", "201"]
    assert Person.objects.filter(user_name__in=["ann", "cy"]).count() == 2


def test_a_returning_user_gives_up_and_takes_names_as_if_posted_alone(scim):
    """Checked together before the deleted user comes back under a new userName: the name
    they give up goes to a later creation, the one they take is refused to another."""
    first = scim.post("Users", user("ann")).json()  # externalId ext-ann
    assert scim.delete(f"Users/{first['id']}").status_code == 204

    response = scim.post(
        "Bulk",
        bulk(
            create("anna", externalId="ext-ann"),  # ann, back as anna
            create("ann", externalId="ext-ann-new"),  # the name ann gave up
            create("ANNA"),  # the name ann took
        ),
    )

    assert statuses(response) == ["201", "201", "409"]
    assert response.json()["Operations"][0]["location"].endswith(f"/Users/{first['id']}")
    assert response.json()["Operations"][2]["response"]["scimType"] == "uniqueness"
    assert Person.objects.get(pk=first["id"]).user_name == "anna"
    assert Person.objects.get(user_name="ann").external_id == "ext-ann-new"


def test_the_operations_record_as_one_actor_with_one_request_id(make_scim):
    """Drop mode records each dropped attribute as the client: in the same request as the
    creations the batch records."""
    scim = make_scim(mode="drop")
    address = {"addresses": [{"type": "work", "streetAddress": "1 Analytical Row"}]}

    response = scim.post("Bulk", bulk(create("ann", **address), create("ben", **address)))

    assert statuses(response) == ["201", "201"]
    events = AuditEvent.objects.filter(action__in=["scim.attribute_dropped", "person.created"])
    assert sorted(events.values_list("action", flat=True)) == [
        "person.created",
        "person.created",
        "scim.attribute_dropped",
        "scim.attribute_dropped",
    ]
    assert len({event.request_id for event in events}) == 1
