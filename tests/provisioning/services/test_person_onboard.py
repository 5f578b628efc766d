"""The joiner: onboarding from a template grants exactly what the preview showed."""

import datetime as dt
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.models import AuditEvent
from provisioning import tasks
from provisioning.errors import InvalidValueError, TemplateMismatchError
from provisioning.models import AccessGrant, Person, ScheduledOnboarding
from provisioning.services.lifecycle import onboarding_preview, person_offboard, person_onboard
from provisioning.services.persons import Contact
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


START = dt.date(2026, 3, 2)


@pytest.fixture
def future_joiner(actor, engineering):
    with time_machine.travel("2026-02-20 09:00Z", tick=False):
        return person_onboard(
            template=engineering,
            fields={"user_name": "graduate"},
            emails=[Contact("graduate@example.org", primary=True)],
            starts_on=START,
            actor=actor,
        )


def test_a_future_joiner_is_created_inactive_with_no_access(future_joiner):
    assert not future_joiner.active
    assert future_joiner.employment_start == START
    assert future_joiner.deactivated_at is None  # not a leaver: retention does not start
    assert not AccessGrant.objects.exists()
    scheduled = ScheduledOnboarding.objects.get(person=future_joiner)
    assert (scheduled.status, scheduled.starts_on) == ("scheduled", START)
    assert AuditEvent.objects.filter(
        action="person.onboard_scheduled", subject_id=str(future_joiner.pk)
    ).exists()


def test_the_day_before_their_start_nothing_happens(future_joiner):
    with time_machine.travel("2026-03-01 23:00Z", tick=False):
        assert tasks.onboardings_due() == 0

    future_joiner.refresh_from_db()
    assert not future_joiner.active


def test_on_their_start_date_the_beat_job_activates_them_and_grants_their_birthright(
    future_joiner,
):
    with time_machine.travel("2026-03-02 06:00Z", tick=False):
        assert tasks.onboardings_due() == 1

    future_joiner.refresh_from_db()
    assert future_joiner.active
    granted = AccessGrant.objects.filter(person=future_joiner, status="active")
    assert sorted(granted.values_list("role__name", flat=True)) == ["GitHub member", "Laptop"]
    assert ScheduledOnboarding.objects.get().status == "done"
    actions = set(
        AuditEvent.objects.filter(subject_id=str(future_joiner.pk)).values_list("action", flat=True)
    )
    assert "person.started" in actions
    assert "person.reactivated" not in actions  # a first day, not a return


def test_a_missed_run_catches_up_and_a_started_joiner_is_not_started_twice(future_joiner):
    with time_machine.travel("2026-03-04 06:00Z", tick=False):
        assert tasks.onboardings_due() == 1
        assert tasks.onboardings_due() == 0

    assert AccessGrant.objects.filter(person=future_joiner).count() == 2


def test_a_joiner_who_leaves_before_their_start_never_starts(actor, future_joiner):
    with time_machine.travel("2026-02-25 09:00Z", tick=False):
        person_offboard(person=future_joiner, actor=actor, reason="declined the offer")
    with time_machine.travel("2026-03-02 06:00Z", tick=False):
        assert tasks.onboardings_due() == 0

    future_joiner.refresh_from_db()
    assert not future_joiner.active
    assert ScheduledOnboarding.objects.get().status == "cancelled"
    assert AuditEvent.objects.filter(action="person.onboard_cancelled").exists()


@time_machine.travel("2026-03-02 09:00Z", tick=False)
def test_a_start_date_of_today_onboards_at_once(actor, engineering):
    person = person_onboard(
        template=engineering, fields={"user_name": "today"}, starts_on=START, actor=actor
    )

    assert person.active
    assert person.employment_start == START
    assert AccessGrant.objects.filter(person=person).count() == 2
    assert not ScheduledOnboarding.objects.exists()


@time_machine.travel("2026-02-20 09:00Z", tick=False)
def test_an_existing_persons_access_cannot_be_dated(actor, engineering):
    person = PersonFactory(department="Engineering")

    with pytest.raises(InvalidValueError):
        person_onboard(template=engineering, person=person, starts_on=START, actor=actor)

    assert not AccessGrant.objects.exists()


@time_machine.travel("2026-02-20 09:00Z", tick=False)
def test_a_future_joiners_temporary_grants_are_counted_from_their_start(actor):
    template = RoleTemplateFactory(duration=timedelta(days=30), roles=[RoleFactory()])

    preview = onboarding_preview(template=template, fields={"user_name": "x"}, starts_on=START)

    assert preview[0].expires_at == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def test_beat_runs_the_start_dates(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["onboardings-due"]
    assert schedule["task"] == tasks.onboardings_due.name


def test_one_start_refused_does_not_hold_back_the_others(actor, engineering, monkeypatch):
    from provisioning.errors import InactivePersonError
    from provisioning.services import persons

    with time_machine.travel("2026-02-20 09:00Z", tick=False):
        first, second = (
            person_onboard(
                template=engineering, fields={"user_name": name}, starts_on=START, actor=actor
            )
            for name in ("first", "second")
        )
    set_active = persons.person_set_active

    def refuse_the_first(*, person, **kwargs):
        if person.pk == first.pk:
            raise InactivePersonError
        return set_active(person=person, **kwargs)

    monkeypatch.setattr(persons, "person_set_active", refuse_the_first)
    with time_machine.travel("2026-03-02 06:00Z", tick=False):
        assert tasks.onboardings_due() == 1

    second.refresh_from_db()
    assert second.active
    assert ScheduledOnboarding.objects.get(person=first).status == "scheduled"  # tried again
