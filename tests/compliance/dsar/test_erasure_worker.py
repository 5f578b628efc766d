"""On a real worker through Redis: a transient failure of one store is retried with
backoff and the erasure completes without redoing the stores already erased."""

import os

import pytest

from compliance.dsar import erasers, services
from compliance.dsar.models import Erasure
from compliance.dsar.tasks import dsar_erase
from provisioning.models import Person
from tests.factories import PersonEmailFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


@pytest.fixture
def flaky_downstream():
    """A downstream application that answers 503 the first time."""
    calls = []

    def erase(person, actor):
        calls.append(person.pk)
        if len(calls) == 1:
            raise ConnectionError("downstream answered 503")
        return {"status": 204}

    erasers.register_eraser("downstream:flaky", "Flaky app", erase, order=erasers.DOWNSTREAM)
    yield calls
    erasers.unregister_eraser("downstream:flaky")


@pytest.mark.django_db(transaction=True)
def test_a_transient_failure_is_retried_and_the_erasure_completes(
    celery_session_app, celery_session_worker, actor, flaky_downstream, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    person = PersonEmailFactory().person
    request = services.request_receive(
        actor=actor, regulation="gdpr", type="deletion", person=person
    )
    services.request_verify(actor=actor, request=request, method="sso")

    erasure_id = dsar_erase.delay(str(request.pk)).get(timeout=60)

    erasure = Erasure.objects.get(pk=erasure_id)
    assert erasure.completed_at is not None
    assert len(flaky_downstream) == 2
    assert erasure.steps.get(eraser="erasure-ledger").result["identifiers_hashed"] == 3
    assert Person.objects.get(pk=person.pk).user_name.startswith("erased-")
