"""The connector's eraser, as the DSAR erasure engine calls it."""

import pytest

from provisioning.connectors import erasure
from provisioning.connectors.erasure import connector_erase
from provisioning.connectors.errors import DownstreamRefused
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


def test_erasure_deletes_even_where_leavers_are_only_deactivated(actor, running_server, downstream):
    connector = make_connector(running_server, actor, deprovision=Connector.Deprovision.DEACTIVATE)
    person = PersonFactory()
    push_person(str(connector.pk), str(person.pk))

    answer = connector_erase(person, connector)

    assert (answer["action"], answer["outcome"]) == ("delete", "deleted")
    assert downstream.users(f'userName eq "{person.user_name}"') == []


def test_a_downstream_refusing_the_deletion_gets_the_account_deactivated(
    actor, running_server, downstream, monkeypatch
):
    connector = make_connector(running_server, actor)
    person = PersonFactory()
    push_person(str(connector.pk), str(person.pk))

    def refuse(scim, *, user_id):
        raise DownstreamRefused("405 Method Not Allowed")

    monkeypatch.setattr(erasure.downstream, "user_delete", refuse)

    answer = connector_erase(person, connector)

    assert (answer["action"], answer["outcome"]) == ("deactivate", "deactivated")
    assert answer["detail"] == "the downstream refused the deletion: 405 Method Not Allowed"
    assert downstream.user(answer["downstream_id"])["active"] is False


def test_erasure_with_the_downstream_down_is_recorded_as_failed(actor, running_server):
    connector = make_connector(running_server, actor)
    person = PersonFactory()
    running_server.stop()

    answer = connector_erase(person, connector)

    assert answer["outcome"] == "failed"
    assert "ConnectError" in answer["detail"]
