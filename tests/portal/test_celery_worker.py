"""A task really travels through Redis to a Celery worker and back."""

import os

import pytest

from compliance.tasks import verify_audit_chain
from provisioning.services.persons import person_create

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


@pytest.mark.django_db(transaction=True)
def test_audit_check_runs_on_a_real_worker(celery_session_app, celery_session_worker, actor):
    person_create(actor=actor, fields={"user_name": "worker.test"})

    result = verify_audit_chain.delay().get(timeout=20)

    assert result == {"verified": 1, "first_broken": None, "reason": ""}
