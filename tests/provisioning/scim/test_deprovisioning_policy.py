"""A SCIM client's deprovisioning policy: on DELETE (Entra ID), or on deactivation if so
chosen (Okta's PATCH active=false, Entra's soft delete), the person is either kept as a
leaver until retention (the default) or erased at once by the erasure engine, with its
receipt, the erasure ledger and the subject key destroyed. A legal hold keeps them and
opens a finding. The SCIM answers stay RFC 7644's: DELETE 204, then GET 404."""

import pytest

from compliance.audit.models import AuditEvent, SubjectKey
from compliance.dsar import services as dsar
from compliance.dsar.erasure import receipt_path
from compliance.dsar.models import Erasure
from compliance.incidents.models import Incident
from provisioning.models import Person, ScimClient
from tests.provisioning.scim.clients.test_okta_crud import deactivation
from tests.provisioning.scim.conftest import ENTERPRISE, USER_SCHEMA, patch_ops

pytestmark = pytest.mark.django_db

DEPROVISIONED = "person.deprovisioned"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Erasure receipts go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


def entra_user(user_name="grete.vanterpool@example.org", external_id="9f2c1d7e-entra"):
    """Entra ID's Create User: core schema, the enterprise extension, a work e-mail."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": True,
        "displayName": "Grete Vanterpool",
        "name": {"givenName": "Grete", "familyName": "Vanterpool"},
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "phoneNumbers": [{"type": "work", "value": "+44 20 7946 0321"}],
        ENTERPRISE: {"employeeNumber": "GV-40817", "department": "Treasury"},
    }


def client_with(make_scim, name, policy):
    browser = make_scim(name)
    ScimClient.objects.filter(pk=browser.client.pk).update(deprovisioning=policy)
    return browser


def created(browser, payload):
    response = browser.post("Users", payload)
    assert response.status_code == 201, response.content
    return Person.objects.get(pk=response.json()["id"])


def deprovisioned(person):
    return AuditEvent.objects.get(action=DEPROVISIONED, subject_id=str(person.pk)).data


def keys_held(person):
    """Whether any of the person's keys (one per quarter of audit details) is left."""
    return SubjectKey.objects.filter(subject_id__startswith=str(person.pk)).exists()


def assert_erased(person):
    erasure = Erasure.objects.get(person_id=person.pk)
    assert erasure.completed_at is not None
    assert erasure.reason == Erasure.Reason.DEPROVISIONING
    assert receipt_path(erasure).exists()
    stub = Person.objects.get(pk=person.pk)
    assert stub.user_name == f"erased-{person.pk.hex}"
    assert (stub.given_name, stub.external_id, stub.employee_number) == ("", "", "")
    assert not keys_held(person)


def test_by_default_an_entra_delete_keeps_the_leaver_until_retention(
    make_scim, django_capture_on_commit_callbacks
):
    entra = make_scim("Entra ID")
    person = created(entra, entra_user())

    with django_capture_on_commit_callbacks(execute=True):
        response = entra.delete(f"Users/{person.pk}")

    assert response.status_code == 204
    assert entra.get(f"Users/{person.pk}").status_code == 404
    kept = Person.objects.get(pk=person.pk)
    assert (kept.given_name, kept.active) == ("Grete", False)
    assert not Erasure.objects.exists()
    assert deprovisioned(person) == {
        "policy": "keep",
        "client_policy": "",
        "trigger": "delete",
        "outcome": "kept as a leaver until retention",
    }


def test_an_entra_delete_under_erase_on_delete_erases_the_person_at_once(
    make_scim, django_capture_on_commit_callbacks
):
    entra = client_with(make_scim, "Entra ID", "erase-on-delete")
    person = created(entra, entra_user())

    with django_capture_on_commit_callbacks(execute=True):
        response = entra.delete(f"Users/{person.pk}")

    assert response.status_code == 204
    assert not response.content
    assert entra.get(f"Users/{person.pk}").status_code == 404
    assert_erased(person)
    assert deprovisioned(person)["outcome"] == "erasure queued"
    deleted = AuditEvent.objects.get(action="person.deleted", subject_id=str(person.pk))
    assert deleted.data == {"kept_for_retention": False}
    # The ledger now holds the identity: the same user POSTed again is refused.
    assert entra.post("Users", entra_user()).status_code == 409


def test_the_portals_default_applies_to_a_client_without_a_policy(
    make_scim, settings, django_capture_on_commit_callbacks
):
    settings.SCIM_DEPROVISIONING = "erase-on-delete"
    entra = make_scim("Entra ID")
    person = created(entra, entra_user())

    with django_capture_on_commit_callbacks(execute=True):
        assert entra.delete(f"Users/{person.pk}").status_code == 204

    assert_erased(person)
    assert deprovisioned(person)["policy"] == "erase-on-delete"
    assert deprovisioned(person)["client_policy"] == ""


def deactivated_by_okta(make_scim, capture, policy):
    """Okta, under this policy, creates a user and deactivates them (its PATCH without a
    path), and what the deactivation queued runs."""
    okta = client_with(make_scim, "Okta", policy)
    person = created(okta, entra_user(external_id="00ujl29u0le5T6Aj10h7"))
    with capture(execute=True):
        response = okta.patch(f"Users/{person.pk}", deactivation(False))
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    return okta, person


def test_an_okta_deactivation_under_erase_on_delete_only_makes_a_leaver(
    make_scim, django_capture_on_commit_callbacks
):
    _, person = deactivated_by_okta(
        make_scim, django_capture_on_commit_callbacks, "erase-on-delete"
    )

    assert Person.objects.get(pk=person.pk).given_name == "Grete"
    assert not Erasure.objects.exists()
    assert deprovisioned(person)["trigger"] == "deactivation"
    assert deprovisioned(person)["outcome"] == "kept as a leaver until retention"


def test_an_okta_deactivation_under_erase_on_deactivation_erases_the_person(
    make_scim, django_capture_on_commit_callbacks
):
    okta, person = deactivated_by_okta(
        make_scim, django_capture_on_commit_callbacks, "erase-on-deactivation"
    )

    assert_erased(person)
    # What Okta reads back afterwards is the pseudonymous stub, inactive.
    stub = okta.get(f"Users/{person.pk}").json()
    assert (stub["userName"], stub["active"]) == (f"erased-{person.pk.hex}", False)
    assert "Grete" not in str(stub)
    # Okta's reactivation is refused: an erased person never comes back.
    assert okta.patch(f"Users/{person.pk}", deactivation(True)).status_code == 409
    # Okta's later DELETE (or Entra's after its soft delete) is answered as RFC 7644 says.
    assert okta.delete(f"Users/{person.pk}").status_code == 204
    assert okta.get(f"Users/{person.pk}").status_code == 404


def test_an_entra_soft_delete_under_erase_on_deactivation_erases_the_person(
    make_scim, django_capture_on_commit_callbacks
):
    entra = client_with(make_scim, "Entra ID", "erase-on-deactivation")
    person = created(entra, entra_user())

    with django_capture_on_commit_callbacks(execute=True):
        response = entra.patch(
            f"Users/{person.pk}", patch_ops({"op": "Replace", "path": "active", "value": False})
        )

    assert response.status_code == 200, response.content
    assert_erased(person)


def test_a_legal_hold_keeps_the_deleted_person_as_a_leaver_and_opens_a_finding(
    make_scim, actor, django_capture_on_commit_callbacks
):
    entra = client_with(make_scim, "Entra ID", "erase-on-delete")
    person = created(entra, entra_user())
    dsar.legal_hold_place(actor=actor, person=person, reason="litigation 2026-17")

    with django_capture_on_commit_callbacks(execute=True):
        response = entra.delete(f"Users/{person.pk}")

    assert response.status_code == 204
    assert entra.get(f"Users/{person.pk}").status_code == 404
    assert not Erasure.objects.exists()
    assert Person.objects.get(pk=person.pk).given_name == "Grete"
    assert keys_held(person)
    assert deprovisioned(person)["outcome"] == "kept as a leaver: legal hold"
    finding = Incident.objects.get(kind=Incident.Kind.DEPROVISIONING_ERASURE_HELD)
    assert finding.details == {"subject_id": str(person.pk)}
    assert "Grete" not in finding.summary


def test_a_hold_placed_before_the_queued_erasure_runs_still_blocks_it(
    make_scim, actor, django_capture_on_commit_callbacks
):
    entra = client_with(make_scim, "Entra ID", "erase-on-delete")
    person = created(entra, entra_user())

    # The erasure is queued with the deletion, and the hold is placed before it runs.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert entra.delete(f"Users/{person.pk}").status_code == 204
    dsar.legal_hold_place(actor=actor, person=person, reason="litigation 2026-17")
    for callback in queued:
        callback()

    assert not Erasure.objects.exists()
    assert Incident.objects.filter(kind=Incident.Kind.DEPROVISIONING_ERASURE_HELD).count() == 1


def test_a_delete_inside_a_bulk_request_follows_the_clients_policy(
    make_scim, django_capture_on_commit_callbacks
):
    entra = client_with(make_scim, "Entra ID", "erase-on-delete")
    person = created(entra, entra_user())
    request = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "DELETE", "path": f"/Users/{person.pk}"}],
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = entra.post("Bulk", request)

    assert [op["status"] for op in response.json()["Operations"]] == ["204"]
    assert_erased(person)
