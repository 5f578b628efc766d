"""A killed export or erasure resumes for real: the tasks stay on the broker when their
worker dies, the broker hands them back within its visibility timeout, and a beat job
queues again a request whose step has stopped moving."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.dsar import erasers, erasure, services
from compliance.dsar.models import Erasure, ErasureStep, Status
from compliance.dsar.tasks import dsar_erase, dsar_export, dsar_requeue_stalled
from tests.factories import PersonEmailFactory

ROOT = Path(__file__).resolve().parents[3]


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def test_the_dsar_tasks_are_requeued_when_their_worker_is_lost():
    for task in (dsar_erase, dsar_export):
        assert (task.acks_late, task.reject_on_worker_lost) == (True, True)


def test_the_broker_hands_back_unacknowledged_tasks_within_the_configured_timeout():
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "django.setup(); from django.conf import settings; "
        "print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
    )
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/12"}
    shown = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for extra in ({}, {"BROKER_VISIBILITY_TIMEOUT_SECONDS": "300"})
    ]
    assert shown == ["1800", "300"]


@pytest.fixture
def killed_erasure(actor):
    """An erasure whose worker died after its first steps: the request says running."""
    person = PersonEmailFactory().person
    request = services.request_verify(
        actor=actor,
        request=services.request_receive(
            actor=actor, regulation="gdpr", type="deletion", person=person
        ),
        method="hr-record",
    )

    def kill(person, actor):
        raise Killed

    erasers.register_eraser("killed-here", "a worker killed mid-erasure", kill, order=55)
    try:
        with pytest.raises(Killed):
            erasure.request_erase(actor=actor, request=request)
    finally:
        erasers.unregister_eraser("killed-here")
    request.refresh_from_db()
    assert request.status == Status.RUNNING
    return request


@pytest.mark.django_db
def test_a_stalled_erasure_is_queued_again_and_finishes_exactly_once(
    killed_erasure, django_capture_on_commit_callbacks
):
    done_before = ErasureStep.objects.count()
    assert dsar_requeue_stalled.delay().get() == []  # not stalled yet

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        with django_capture_on_commit_callbacks(execute=True):  # the outbox relays on commit
            assert dsar_requeue_stalled.delay().get() == [str(killed_erasure.pk)]
        assert dsar_requeue_stalled.delay().get() == []

    killed_erasure.refresh_from_db()
    assert killed_erasure.status == Status.READY
    steps = list(ErasureStep.objects.values_list("eraser", flat=True))
    assert len(steps) == len(set(steps)) == len(erasers.registered())
    assert done_before < len(steps)
    assert Erasure.objects.get().completed_at is not None
    requeued = AuditEvent.objects.get(action="dsar.requeued")
    assert requeued.data["progress"] < 100


@pytest.mark.django_db
def test_a_request_whose_heartbeat_beats_is_not_taken_for_stalled(killed_erasure):
    """A step that runs longer than DSAR_STALLED_MINUTES is alive while its task's
    heartbeat beats: it is not queued again beside itself."""
    later = timezone.now() + timedelta(minutes=16)
    with time_machine.travel(later):
        dsar_erase.heartbeat(str(killed_erasure.pk))
    with time_machine.travel(later + timedelta(minutes=1)):
        assert dsar_requeue_stalled.delay().get() == []
