"""A push really travels through Redis to a Celery worker, which talks to the downstream."""

import os

import pytest

from provisioning.connectors.models import DownstreamAccount
from provisioning.connectors.tasks import push_person
from tests.factories import PersonFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


@pytest.mark.django_db(transaction=True)
def test_a_push_runs_on_a_real_worker(
    celery_session_app, celery_session_worker, connector, downstream
):
    person = PersonFactory()

    result = push_person.delay(str(connector.pk), str(person.pk)).get(timeout=20)

    assert result == "pushed"
    account = DownstreamAccount.objects.get(person_id=person.pk)
    assert downstream.user(account.downstream_id)["externalId"] == str(person.pk)
