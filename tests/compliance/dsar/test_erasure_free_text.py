"""No residue after erasure: every free-text field the inventory declares personal, on a
row about the erased person, is blank afterwards. The fields are found by walking the
inventory, so a new declared field is checked without touching this test."""

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone

from compliance import inventory
from compliance.dsar import services
from compliance.dsar.tasks import dsar_erase
from provisioning.models import AccessRequest, Person, ScheduledOffboarding
from provisioning.services import access, lifecycle, persons, requests
from tests.factories import RoleFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

SECRET = "relocates to Munich; sick leave until then"
# Declared free text kept on purpose, each with the reason it may stay.
KEPT = {
    # Names the staff member who acted, not the erased person.
    "provisioning.ScheduledOffboarding.requested_by",
    "provisioning.AccessGrant.granted_by",
    "provisioning.AccessGrant.revoked_by",
    # On the person's own requests: the approver's address (staff), not the person's.
    "provisioning.Approval.approver_email",
    # Kept under a legal obligation (Art. 17(3)(b), (e)); a hold blocks erasure anyway.
    "compliance.LegalHold.reason",
    # A path under MEDIA_ROOT named by a UUID.
    "compliance.ExportPackage.file",
}


def free_text(field: Any) -> bool:
    return isinstance(field, models.CharField | models.TextField) and not field.choices


def rows_about(model: type[models.Model], person: Person) -> Any:
    if model is Person:
        return Person.objects.filter(pk=person.pk)
    names = {field.name for field in model._meta.get_fields()}
    if "person" in names:
        return model._default_manager.filter(person=person)
    if "request" in names and model._meta.get_field("request").related_model is AccessRequest:
        return model._default_manager.filter(request__person=person)
    return model._default_manager.none()


@pytest.fixture
def subject(actor):
    """Someone with free text about them in every store the demo can fill."""
    person = persons.person_create(
        actor=actor,
        fields={"user_name": "farah.petrov", "given_name": "Farah", "title": SECRET[:40]},
    )
    access.grant_create(
        person=person, role=RoleFactory.create(), source="manual", actor=actor, reason=SECRET
    )
    approver = StaffUserFactory.create(email="owner@example.org")
    role = RoleFactory.create(requestable=True, max_duration=timedelta(days=30), owner=approver)
    request = requests.access_request(
        person=person,
        role=role,
        requested_by=StaffUserFactory.create(),
        justification=SECRET,
        duration=timedelta(days=5),
        actor=actor,
    )
    requests.approval_decide_as_staff(
        approval=request.approvals.get(), user=approver, approve=True, comment=SECRET, actor=actor
    )
    lifecycle.person_offboard(
        person=person,
        actor=actor,
        reason=SECRET,
        effective_on=timezone.localdate() + timedelta(days=30),
    )
    return person


def test_every_declared_free_text_field_about_the_erased_person_is_blank(actor, subject):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type="deletion", person=subject
    )
    services.request_verify(actor=actor, request=request, method="hr-record")
    dsar_erase.delay(str(request.pk)).get()

    walked, left = [], []
    for entry in inventory.INVENTORY:
        model = apps.get_model(entry.model)
        field = model._meta.get_field(entry.field)
        if entry.key in KEPT or not free_text(field):
            continue
        for value in rows_about(model, subject).values_list(entry.field, flat=True):
            walked.append(entry.key)
            if value and not str(value).startswith("erased-"):
                left.append((entry.key, value))
    assert left == []
    assert {
        "provisioning.ScheduledOffboarding.reason",
        "provisioning.AccessGrant.reason",
        "provisioning.AccessRequest.justification",
        "provisioning.Approval.comment",
        "provisioning.Person.title",
    } <= set(walked)
    assert not ScheduledOffboarding.objects.filter(person=subject, status="scheduled").exists()
