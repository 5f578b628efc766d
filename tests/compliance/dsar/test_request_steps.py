"""The steps of a request: each checks its state, computes what it must and is audited."""

from datetime import date

import pytest
import time_machine

from compliance.audit.models import AuditEvent
from compliance.dsar import services
from compliance.dsar.deadlines import Regulation
from compliance.dsar.models import DenialBasis, RequestType, Status
from compliance.errors import ExtensionError, RequestStateError, VerificationError
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def received(actor, regulation=Regulation.GDPR, **kwargs):
    person = kwargs.pop("person", None) or PersonFactory()
    kwargs.setdefault("contact_email", "requester@example.org")
    return services.request_receive(
        actor=actor, regulation=regulation, type=RequestType.ACCESS, person=person, **kwargs
    )


@time_machine.travel("2026-01-31 10:00Z")
def test_receiving_a_gdpr_request_computes_its_deadline(actor):
    request = received(actor)

    assert request.due_on == date(2026, 2, 28)
    event = AuditEvent.objects.get(action="dsar.received")
    assert event.subject_id == str(request.person_id)


def test_receiving_puts_the_identifiers_only_in_the_encrypted_part(actor):
    received(actor, identifiers={"email": "zed@example.org"})

    event = AuditEvent.objects.get(action="dsar.received")
    assert "zed@example.org" not in str(event.data)
    assert event.ciphertext


@time_machine.travel("2026-01-05 10:00Z")
def test_a_ccpa_request_must_be_acknowledged_within_ten_business_days(actor):
    request = received(actor, regulation=Regulation.CCPA)

    assert (request.acknowledge_by, request.due_on) == (
        date(2026, 1, 19),
        date(2026, 2, 18),
    )  # day 45, counting 5 January


def test_an_acknowledgement_after_ten_business_days_is_recorded_as_late(actor):
    with time_machine.travel("2026-01-05 10:00Z"):
        request = received(actor, regulation=Regulation.CCPA)
    with time_machine.travel("2026-01-20 10:00Z"):
        request = services.request_acknowledge(actor=actor, request=request)

    assert request.acknowledged_at is not None
    assert AuditEvent.objects.get(action="dsar.acknowledged").data["late"] is True


def test_verifying_records_the_method(actor):
    request = services.request_verify(actor=actor, request=received(actor), method="hr-record")

    assert (request.status, request.verification_method) == (Status.VERIFIED, "hr-record")
    assert AuditEvent.objects.filter(action="dsar.verified").count() == 1


def test_a_request_verified_to_a_reasonably_high_degree_is_not_verified_again(actor):
    request = services.request_verify(actor=actor, request=received(actor), method="hr-record")

    with pytest.raises(VerificationError, match="already verified"):
        services.request_verify(actor=actor, request=request, method="hr-record")


def test_a_gdpr_extension_moves_the_deadline_and_records_the_notice(actor):
    with time_machine.travel("2026-01-31 10:00Z"):
        request = received(actor)
    with time_machine.travel("2026-02-10 10:00Z"):
        request = services.request_extend(actor=actor, request=request, reason="complex", months=2)

    assert request.due_on == date(2026, 4, 30)
    assert request.extension_notified_at is not None
    assert AuditEvent.objects.get(action="dsar.extended").data["due_on"] == "2026-04-30"


def test_a_deadline_is_extended_only_once(actor):
    request = services.request_extend(actor=actor, request=received(actor), reason="complex")

    with pytest.raises(ExtensionError, match="already"):
        services.request_extend(actor=actor, request=request, reason="again")


def test_an_extension_after_the_first_month_is_refused(actor):
    with time_machine.travel("2026-01-31 10:00Z"):
        request = received(actor)
    with time_machine.travel("2026-03-01 10:00Z"), pytest.raises(ExtensionError, match="passed"):
        services.request_extend(actor=actor, request=request, reason="complex")


def test_a_gdpr_extension_is_at_most_two_months(actor):
    with pytest.raises(ExtensionError, match="one or two"):
        services.request_extend(actor=actor, request=received(actor), reason="x", months=3)


def test_a_ccpa_extension_adds_45_days(actor):
    with time_machine.travel("2026-01-01 10:00Z"):
        request = received(actor, regulation=Regulation.CCPA)
        request = services.request_extend(actor=actor, request=request, reason="volume")

    assert request.due_on == date(2026, 3, 31)  # 90 days, 1 January the first


def test_denying_records_the_basis_and_closes(actor):
    request = services.request_deny(
        actor=actor, request=received(actor), basis=DenialBasis.MANIFESTLY_UNFOUNDED
    )

    assert (request.status, request.outcome) == (Status.CLOSED, "denied")
    assert request.closed_at is not None
    assert AuditEvent.objects.get(action="dsar.denied").data["basis"] == "manifestly-unfounded"


def test_an_unverified_request_cannot_be_closed(actor):
    with pytest.raises(RequestStateError, match="not possible while the request is received"):
        services.request_close(actor=actor, request=received(actor))


def test_a_verified_request_about_a_person_is_closed_only_after_it_ran(actor):
    request = services.request_verify(actor=actor, request=received(actor), method="sso")

    with pytest.raises(RequestStateError, match="before closing"):
        services.request_close(actor=actor, request=request)


def test_a_verified_request_matching_nobody_can_be_closed(actor):
    request = services.request_receive(
        actor=actor,
        regulation=Regulation.CCPA,
        type=RequestType.DELETION,
        person=None,
        identifiers={"email": "nobody@example.org"},
    )
    services.request_verify(actor=actor, request=request, method="hr-record")

    closed = services.request_close(actor=actor, request=request)

    assert (closed.status, closed.outcome) == (Status.CLOSED, "fulfilled")
    assert AuditEvent.objects.get(action="dsar.closed").subject_id == f"dsar:{request.pk}"


def test_placing_and_lifting_a_legal_hold_is_audited(actor):
    person = PersonFactory()
    hold = services.legal_hold_place(actor=actor, person=person, reason="litigation 2026-17")
    assert services.active_hold(person.pk) == hold

    services.legal_hold_lift(actor=actor, hold=hold)

    assert services.active_hold(person.pk) is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"dsar.legal_hold_placed", "dsar.legal_hold_lifted"} <= actions
