"""The connector's eraser, as the DSAR erasure engine calls it."""

import pytest

from provisioning.connectors.erasure import connector_erase
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.connectors.tasks import push_person
from tests.factories import PersonFactory
from tests.provisioning.connectors.conftest import make_connector

pytestmark = pytest.mark.django_db


def test_erasure_deletes_the_downstream_account_and_returns_the_answer(
    actor, running_server, downstream
):
    connector = make_connector(running_server, actor, deprovision=Connector.Deprovision.DELETE)
    person = PersonFactory()
    push_person(str(connector.pk), str(person.pk))
    downstream_id = DownstreamAccount.objects.get(person_id=person.pk).downstream_id

    answer = connector_erase(person, connector)

    assert answer["outcome"] == "deleted"
    assert answer["downstream_id"] == downstream_id
    assert downstream.users(f'userName eq "{person.user_name}"') == []


def test_erasure_deactivates_when_the_connector_deactivates(actor, running_server, downstream):
    connector = make_connector(running_server, actor)
    person = PersonFactory()
    push_person(str(connector.pk), str(person.pk))

    answer = connector_erase(person, connector)

    assert answer["outcome"] == "deactivated"
    assert downstream.user(answer["downstream_id"])["active"] is False


def test_erasure_with_the_downstream_down_is_recorded_as_failed(actor, running_server):
    connector = make_connector(running_server, actor)
    person = PersonFactory()
    running_server.stop()

    answer = connector_erase(person, connector)

    assert answer["outcome"] == "failed"
    assert "ConnectError" in answer["detail"]
