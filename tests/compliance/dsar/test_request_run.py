"""Starting an export or an erasure: the state machine and legal holds decide, the task
is queued with the change, and the start is audited."""

import uuid

import pytest

from compliance.audit.models import AuditEvent
from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest, RequestType, Status
from compliance.dsar.states import ALLOWED
from compliance.dsar.steps import STEP_STATES, available_steps
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.errors import LegalHoldError, RequestStateError
from compliance.outbox.models import OutboxMessage
from tests.factories import PersonFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def verified(actor, type=RequestType.ACCESS, person=None):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type=type, person=person or PersonFactory()
    )
    return services.request_verify(actor=actor, request=request, method="hr-record")


def test_starting_an_export_queues_its_task_and_records_who_started_it(actor):
    officer = StaffUserFactory()

    request = services.request_run(
        actor=actor, request=verified(actor), task=dsar_export, handled_by=officer
    )

    assert (request.handled_by, request.progress_label) == (officer, "queued")
    message = OutboxMessage.objects.get()
    assert (message.task, message.args) == (dsar_export.name, [str(request.pk)])
    event = AuditEvent.objects.get(action="dsar.started")
    assert event.data["step"] == "export"


def test_an_erasure_under_legal_hold_is_not_started(actor):
    request = verified(actor, type=RequestType.DELETION)
    services.legal_hold_place(actor=actor, person=request.person, reason="case 9")

    with pytest.raises(LegalHoldError, match="case 9"):
        services.request_run(actor=actor, request=request, task=dsar_erase)

    assert not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(action="dsar.started").exists()


def test_a_request_not_yet_verified_is_not_started(actor):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type=RequestType.ACCESS, person=PersonFactory()
    )

    with pytest.raises(RequestStateError, match="not possible while the request is received"):
        services.request_run(actor=actor, request=request, task=dsar_export)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("type", list(RequestType))
def test_the_admin_offers_only_steps_the_state_machine_allows(status, type):
    request = DataSubjectRequest(status=status, type=type, person_id=uuid.uuid4())

    offered = available_steps(request)

    assert all(status in ALLOWED[STEP_STATES.get(step, step)] for step in offered)
