"""An erasure sticks at every SCIM door: an identity provider that POSTs, PUTs, PATCHes or
bulk-creates an identity erased at the data subject's request is refused (409
uniqueness, naming nothing), the refusal is recorded and a finding opened, once."""

import pytest

from compliance.audit.models import AuditEvent
from compliance.dsar import services
from compliance.dsar.tasks import dsar_erase
from compliance.incidents.models import Incident
from provisioning.models import Person
from tests.provisioning.scim.conftest import USER_SCHEMA, assert_scim_error, patch_ops

pytestmark = pytest.mark.django_db

ERASED = {"userName": "ada@example.org", "externalId": "okta-ada"}
REFUSED = "dsar.erased_identity_refused"
KIND = Incident.Kind.ERASED_IDENTITY_RETURNED


def user(**fields):
    return {
        "schemas": [USER_SCHEMA],
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": True,
        **ERASED,
        "emails": [{"value": "ada.lovelace@example.org", "type": "work", "primary": True}],
        **fields,
    }


@pytest.fixture
def erased(scim, actor):
    """Ada, created over SCIM, then erased at her request."""
    response = scim.post("Users", user())
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    request = services.request_receive(
        actor=actor, regulation="gdpr", type="deletion", person=person
    )
    services.request_verify(actor=actor, request=request, method="hr-record")
    dsar_erase.delay(str(request.pk)).get()
    return person


def assert_refused(response):
    body = assert_scim_error(response, 409, "uniqueness")
    assert "erased at the data subject's request" in body["detail"]
    for value in ("ada@example.org", "okta-ada", "ada.lovelace", "E-1"):
        assert value not in body["detail"]
    return body


def test_posting_an_erased_user_again_is_refused_and_creates_no_one(scim, erased):
    people = Person.objects.count()

    assert_refused(scim.post("Users", user()))

    assert Person.objects.count() == people
    refusal = AuditEvent.objects.get(action=REFUSED)
    assert (refusal.outcome, refusal.channel) == ("denied", "scim")
    incident = Incident.objects.get(kind=KIND, status="open")
    for value in ("ada@example.org", "okta-ada", "ada.lovelace"):
        assert value not in f"{incident.summary} {incident.details}"


def test_an_erased_email_alone_is_enough_to_refuse(scim, erased):
    assert_refused(scim.post("Users", user(userName="someone.else", externalId="okta-2")))


def test_an_identity_provider_retrying_opens_one_finding(scim, erased):
    for _ in range(3):
        assert_refused(scim.post("Users", user()))

    assert AuditEvent.objects.filter(action=REFUSED).count() == 3
    assert Incident.objects.filter(kind=KIND).count() == 1


def test_putting_an_erased_user_name_on_someone_else_is_refused(scim, erased):
    other = scim.post("Users", user(userName="grace", externalId="okta-g", emails=[])).json()

    assert_refused(scim.put(f"Users/{other['id']}", user(externalId="okta-g", emails=[])))
    assert Person.objects.get(pk=other["id"]).user_name == "grace"


def test_patching_an_erased_external_id_onto_someone_else_is_refused(scim, erased):
    other = scim.post("Users", user(userName="grace", externalId="okta-g", emails=[])).json()

    response = scim.patch(
        f"Users/{other['id']}",
        patch_ops({"op": "replace", "path": "externalId", "value": "okta-ada"}),
    )

    assert_refused(response)
    assert Person.objects.get(pk=other["id"]).external_id == "okta-g"
    assert AuditEvent.objects.filter(action=REFUSED).count() == 1
    assert Incident.objects.filter(kind=KIND, status="open").exists()


def test_reactivating_the_erased_stub_is_refused(scim, erased):
    response = scim.patch(
        f"Users/{erased.pk}", patch_ops({"op": "replace", "path": "active", "value": True})
    )

    assert_refused(response)
    erased.refresh_from_db()
    assert not erased.active
    assert AuditEvent.objects.filter(action=REFUSED).count() == 1


def test_a_bulk_post_of_an_erased_user_is_refused_in_its_operation(scim, erased):
    response = scim.post(
        "Bulk",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a", "data": user()}],
        },
    )

    assert response.status_code == 200, response.content
    (operation,) = response.json()["Operations"]
    assert operation["status"] == "409"
    assert operation["response"]["scimType"] == "uniqueness"
    assert AuditEvent.objects.filter(action=REFUSED).exists()


def test_an_erased_user_in_a_bulk_batch_is_refused_once_and_the_others_are_created(scim, erased):
    """The batch asks the ledger once, before its insert, which checks nothing again."""

    def create(bulk_id, **fields):
        return {"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": user(**fields)}

    response = scim.post(
        "Bulk",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                create("ann", userName="ann@example.org", externalId="okta-ann", emails=[]),
                create("ada"),
                create("bo", userName="bo@example.org", externalId="okta-bo", emails=[]),
            ],
        },
    )

    assert response.status_code == 200, response.content
    results = response.json()["Operations"]
    assert [result["status"] for result in results] == ["201", "409", "201"]
    assert results[1]["response"]["scimType"] == "uniqueness"
    assert "erased at the data subject's request" in results[1]["response"]["detail"]
    assert AuditEvent.objects.filter(action=REFUSED).count() == 1
    assert Person.objects.filter(user_name__in=["ann@example.org", "bo@example.org"]).count() == 2
