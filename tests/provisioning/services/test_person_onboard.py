"""The joiner: onboarding from a template grants exactly what the preview showed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning.errors import TemplateMismatchError
from provisioning.models import AccessGrant, Person
from provisioning.services.lifecycle import onboarding_preview, person_onboard
from tests.factories import PersonFactory, RoleFactory, RoleTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineering():
    github, laptop = RoleFactory(name="GitHub member"), RoleFactory(name="Laptop")
    template = RoleTemplateFactory(name="Engineers", department="Engineering", roles=[github])
    RoleTemplateFactory(name="Everyone", roles=[laptop])
    RoleTemplateFactory(name="Sales", department="Sales", roles=[RoleFactory(name="CRM")])
    return template


def test_the_preview_lists_exactly_the_grants_onboarding_makes(actor, engineering):
    hire = {"user_name": "new.hire", "title": "Engineer"}

    preview = onboarding_preview(template=engineering, fields=hire)
    person = person_onboard(template=engineering, fields=hire, actor=actor)

    granted = AccessGrant.objects.filter(person=person, status="active")
    assert sorted(g.role.name for g in preview) == ["GitHub member", "Laptop"]
    assert sorted(granted.values_list("role__name", flat=True)) == ["GitHub member", "Laptop"]
    assert person.department == "Engineering"  # filled in from the template's conditions


def test_each_grant_records_an_event_for_the_alert_rules(actor, engineering):
    person = person_onboard(template=engineering, fields={"user_name": "new.hire"}, actor=actor)

    events = AuditEvent.objects.filter(action="grant.created", subject_id=str(person.pk))
    grants = {str(g.pk): str(g.role_id) for g in AccessGrant.objects.filter(person=person)}
    assert len(events) == 2
    for event in events:
        assert event.data["source"] == "template"
        assert grants[event.data["grant"]] == event.data["role"]


def test_a_hire_contradicting_the_template_is_refused_and_nothing_is_written(actor, engineering):
    with pytest.raises(TemplateMismatchError):
        person_onboard(
            template=engineering,
            fields={"user_name": "new.hire", "department": "Sales"},
            actor=actor,
        )

    assert not AccessGrant.objects.exists()


def test_conditions_ignore_case(actor, engineering):
    PersonFactory(department="ENGINEERING")
    person = Person.objects.get()

    person_onboard(template=engineering, person=person, actor=actor)

    assert AccessGrant.objects.filter(person=person).count() == 2


@time_machine.travel("2026-01-01 09:00Z", tick=False)
def test_a_temporary_template_grant_expires_after_its_duration(actor):
    template = RoleTemplateFactory(duration=timedelta(days=30), roles=[RoleFactory()])

    person = person_onboard(template=template, fields={"user_name": "intern"}, actor=actor)

    grant = AccessGrant.objects.get(person=person)
    assert grant.expires_at == timezone.now() + timedelta(days=30)
