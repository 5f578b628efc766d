"""Onboarding one hire through the admin: who the preview names, Back, field limits
checked at preview, and a dated joiner."""

import re

import pytest
import time_machine
from django.urls import reverse

from portal import roles
from provisioning.models import Person, ScheduledOnboarding
from tests.factories import PersonFactory, RoleFactory, RoleTemplateFactory

pytestmark = pytest.mark.django_db

ONBOARD = reverse("admin:provisioning_onboard")


@pytest.fixture
def hr(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    return client


@pytest.fixture
def template():
    return RoleTemplateFactory(
        name="Engineers",
        department="Engineering",
        title="Engineer",
        roles=[RoleFactory(name="GitHub")],
    )


def hire(template, **extra):
    return {
        "template": template.pk,
        "user_name": "nora.lindqvist",
        "given_name": "Nora",
        "family_name": "Lindqvist",
        "email": "nora@example.org",
        **extra,
    }


def buttons(body):
    """The form's buttons as read on screen (the header's Log out is not the form's)."""
    return re.findall(r'<button type="submit" name="action"[^>]*>([^<]*)</button>', body)


@time_machine.travel("2026-02-20 09:00Z", tick=False)
def test_the_preview_names_who_is_onboarded_and_when(hr, template):
    page = hr.post(ONBOARD, {**hire(template, starts_on="2026-03-02"), "action": "Preview"})

    summary = dict(page.context["summary"])
    assert summary == {
        "Name": "Nora Lindqvist",
        "Username": "nora.lindqvist",
        "E-mail address": "nora@example.org",
        "Department": "Engineering",  # from the template
        "Title": "Engineer",
        "Start date": "2 March 2026",
    }
    assert "Nora Lindqvist" in page.content.decode()


def test_each_button_is_announced_as_it_reads(hr, template):
    body = hr.post(ONBOARD, {**hire(template), "action": "Preview"}).content.decode()

    assert buttons(body) == ["Back", "Confirm"]
    assert "aria-label" not in body.split('class="submit-row"')[1].split("</div>")[0]


def test_back_returns_to_the_filled_form_and_writes_nothing(hr, template):
    page = hr.post(ONBOARD, {**hire(template), "action": "Back"})

    body = page.content.decode()
    assert page.context["title"] == "Onboard from a template"
    assert page.context["preview"] is None
    assert 'value="nora.lindqvist"' in body
    assert 'value="nora@example.org"' in body
    assert buttons(body) == ["Preview"]
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("field", "length"), [("given_name", 5000), ("user_name", 256), ("department", 256)]
)
def test_a_value_too_long_for_its_field_is_an_error_at_preview(hr, template, field, length):
    page = hr.post(ONBOARD, {**hire(template, **{field: "x" * length}), "action": "Preview"})

    assert page.context["preview"] is None
    assert "at most" in str(page.context["form"].errors[field])
    assert not Person.objects.exists()


def test_a_name_too_long_together_is_an_error_at_preview(hr, template):
    data = hire(template, given_name="g" * 150, family_name="f" * 150)

    page = hr.post(ONBOARD, {**data, "action": "Preview"})

    assert "together are at most 255" in str(page.context["form"].errors["family_name"])


def test_a_username_already_taken_is_an_error_at_preview_on_its_field(hr, template):
    """Found at Confirm, it came back as "userName 'nora.lindqvist' is already taken": a
    preview HR could not act on, in the API's words."""
    PersonFactory(user_name="Nora.Lindqvist")

    page = hr.post(ONBOARD, {**hire(template), "action": "Preview"})

    assert page.context["preview"] is None
    assert "already taken" in str(page.context["form"].errors["user_name"])
    assert "userName" not in page.content.decode()


def test_a_bad_email_is_told_in_plain_words(hr, template):
    page = hr.post(ONBOARD, {**hire(template, email="nora.example.org"), "action": "Preview"})

    body = page.content.decode()
    assert page.context["form"].errors["email"]
    assert "value is not a valid email address" not in body


@time_machine.travel("2026-02-20 09:00Z", tick=False)
def test_confirming_a_dated_joiner_creates_them_without_access_until_their_start(hr, template):
    page = hr.post(
        ONBOARD, {**hire(template, starts_on="2026-03-02"), "action": "Confirm"}, follow=True
    )

    person = Person.objects.get()
    assert not person.active
    assert not person.grants.exists()
    assert ScheduledOnboarding.objects.get(person=person).starts_on.isoformat() == "2026-03-02"
    assert "future joiner: their access begins on 2 March 2026" in page.content.decode()


@time_machine.travel("2026-02-20 09:00Z", tick=False)
def test_an_existing_person_cannot_be_given_a_start_date(hr, template):
    from tests.factories import PersonFactory

    person = PersonFactory(department="Engineering")

    page = hr.post(
        ONBOARD,
        {
            "template": template.pk,
            "person": person.pk,
            "starts_on": "2026-03-02",
            "action": "Preview",
        },
    )

    assert page.context["form"].errors["starts_on"]


@time_machine.travel("2026-02-20 09:00Z", tick=False)
def test_hr_cancels_a_dated_joiners_start_and_they_never_get_access(hr, template):
    from provisioning import tasks

    hr.post(ONBOARD, {**hire(template, starts_on="2026-03-02"), "action": "Confirm"})
    scheduled = ScheduledOnboarding.objects.get()
    starts = reverse("admin:provisioning_scheduledonboarding_changelist")
    selection = {"action": "cancel", "_selected_action": [scheduled.pk]}

    page = hr.post(starts, selection)
    assert "Nora Lindqvist, starting 02 March 2026" in page.content.decode()
    hr.post(starts, {**selection, "reason": "declined the offer"})

    scheduled.refresh_from_db()
    assert scheduled.status == "cancelled"
    with time_machine.travel("2026-03-02 06:00Z", tick=False):
        assert tasks.onboardings_due() == 0
    person = Person.objects.get()
    assert not person.active
    assert person.deactivated_at is not None  # retention counts from the cancellation
