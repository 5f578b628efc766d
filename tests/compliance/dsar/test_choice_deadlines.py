"""A CCPA opt-out of sale or sharing, or a limit on the use of sensitive personal
information, is acted on no later than 15 business days from receipt (regulations
§7026(f), §7027(g)), counted where the organisation is, as the acknowledgement is; it has
no acknowledgement deadline and no extension."""

import re
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from compliance.dsar import deadlines, services
from compliance.dsar.models import DataSubjectRequest
from compliance.errors import ExtensionError
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db


def log_in_admin(client, *, type, day, time):
    person = PersonEmailFactory().person
    response = client.post(
        reverse("admin:compliance_datasubjectrequest_add"),
        {
            "regulation": "ccpa",
            "type": type,
            "channel": "web-form",
            "person": person.pk,
            "received_at_0": day,
            "received_at_1": time,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return DataSubjectRequest.objects.get()


@pytest.mark.parametrize("type", ["sale-opt-out", "limit-sensitive"])
def test_a_choice_received_on_a_friday_is_due_three_weeks_later(officer, type):
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type=type, day="2026-01-30", time="10:00")

    # Friday 30 January: the 15th business day after it is Friday 20 February.
    assert (request.acknowledge_by, request.due_on) == (None, date(2026, 2, 20))


@pytest.mark.parametrize("day", ["2026-01-31", "2026-02-01"])
def test_a_choice_received_at_the_weekend_counts_from_the_monday(officer, day):
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type="sale-opt-out", day=day, time="11:00")

    assert request.due_on == date(2026, 2, 20)


def test_a_choice_received_on_sunday_evening_in_california_counts_from_sunday(officer, settings):
    settings.ORGANISATION_TIME_ZONE = "America/Los_Angeles"
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type="limit-sensitive", day="2026-02-01", time="17:30")

    assert request.received_at.isoformat() == "2026-02-02T01:30:00+00:00"  # Monday in UTC
    # Counted from Monday (the UTC day) it would be due on Monday 23 February.
    assert request.due_on == date(2026, 2, 20)


def test_a_choice_received_on_thursday_evening_in_california_is_due_a_day_earlier_than_utc(
    officer, settings
):
    settings.ORGANISATION_TIME_ZONE = "America/Los_Angeles"
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type="sale-opt-out", day="2026-01-29", time="23:00")

    assert request.due_on == date(2026, 2, 19)
    assert deadlines.business_days_after(date(2026, 1, 30), 15) == date(2026, 2, 20)


def test_the_request_page_shows_the_due_date_and_the_days_left(officer):
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type="sale-opt-out", day="2026-01-30", time="10:00")
        html = officer.get(
            reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
        ).content.decode()

    assert re.search(r"Due on:</label>\s*<div class=\"readonly\">20 Feb 2026<", html)
    assert "18 days left" in html


def test_a_choice_offers_no_extension(officer, actor):
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type="sale-opt-out", day="2026-01-30", time="10:00")
        html = officer.get(
            reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
        ).content.decode()

        assert reverse("admin:compliance_dsar_step", args=[request.pk, "extend"]) not in html
        with pytest.raises(ExtensionError, match="15 business days"):
            services.request_extend(actor=actor, request=request, reason="busy")


def test_a_ccpa_access_request_keeps_its_45_days_and_acknowledgement(officer):
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type="access", day="2026-01-30", time="10:00")

    assert (request.acknowledge_by, request.due_on) == (date(2026, 2, 13), date(2026, 3, 15))


def test_the_acknowledgement_of_a_choice_gives_its_date_and_asks_no_identity_check(
    officer, django_capture_on_commit_callbacks
):
    with time_machine.travel("2026-02-02 12:00Z"):
        request = log_in_admin(officer, type="sale-opt-out", day="2026-01-30", time="10:00")
        DataSubjectRequest.objects.filter(pk=request.pk).update(contact_email="ada@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            officer.post(
                reverse("admin:compliance_dsar_step", args=[request.pk, "acknowledge"]),
                {"confirm": "on"},
            )

    (message,) = mail.outbox
    assert "We will act on it by 20 February 2026" in message.body
    assert "confirm that you are the person" not in message.body
    assert "more time" not in message.body
