"""A data-subject erasure tells every enabled connector and keeps each answer in the
receipt."""

import uuid

import pytest

from compliance.dsar import services
from compliance.dsar.models import Erasure, RequestType
from compliance.dsar.tasks import dsar_erase
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.connectors.tasks import push_person
from tests.factories import PersonFactory
from tests.provisioning.connectors.conftest import make_connector

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def erased(actor, person):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type=RequestType.DELETION, person=person
    )
    request = services.request_verify(actor=actor, request=request, method="hr-record")
    return Erasure.objects.get(pk=dsar_erase.delay(str(request.pk)).get())


def test_erasure_deletes_the_downstream_account_and_records_the_answer(
    actor, running_server, downstream
):
    connector = make_connector(running_server, actor, deprovision=Connector.Deprovision.DELETE)
    person = PersonFactory(user_name=f"erase-{uuid.uuid4().hex[:8]}@example.org")
    push_person(str(connector.pk), str(person.pk))
    downstream_id = DownstreamAccount.objects.get(person_id=person.pk).downstream_id

    erasure = erased(actor, person)

    (answer,) = erasure.steps.get(eraser="downstream").result["downstream"]
    assert (answer["connector"], answer["downstream_id"], answer["outcome"]) == (
        str(connector.pk),
        downstream_id,
        "deleted",
    )
    assert downstream.users(f'externalId eq "{person.pk}"') == []


def test_a_downstream_that_is_down_is_recorded_as_failed_and_erasure_completes(
    actor, running_server
):
    connector = make_connector(running_server, actor)
    person = PersonFactory()
    push_person(str(connector.pk), str(person.pk))
    running_server.stop()

    erasure = erased(actor, person)

    (answer,) = erasure.steps.get(eraser="downstream").result["downstream"]
    assert answer["outcome"] == "failed"
    assert erasure.completed_at is not None
