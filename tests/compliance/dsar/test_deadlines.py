"""Deadline arithmetic on month ends, leap years and weekends."""

from datetime import UTC, date, datetime

import pytest

from compliance.dsar.deadlines import (
    Regulation,
    business_days_after,
    deadlines,
    received_on,
    record_kept_until,
)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2028, 2, 29), date(2028, 3, 29)),
    ],
)
def test_gdpr_answer_is_due_one_calendar_month_after_receipt(received, due):
    assert deadlines(regulation=Regulation.GDPR, received=received).respond_by == due


def test_gdpr_extension_counts_months_from_receipt_not_from_a_clamped_month_end():
    extended = deadlines(
        regulation=Regulation.GDPR, received=date(2026, 1, 31), extended=True, extension_months=2
    )
    assert extended.respond_by == date(2026, 4, 30)


def test_gdpr_extension_of_one_month_into_a_leap_february():
    extended = deadlines(
        regulation=Regulation.GDPR, received=date(2027, 12, 31), extended=True, extension_months=1
    )
    assert extended.respond_by == date(2028, 2, 29)


def test_gdpr_has_no_acknowledgement_deadline():
    assert deadlines(regulation=Regulation.GDPR, received=date(2026, 1, 1)).acknowledge_by is None


def test_ccpa_counts_45_calendar_days_from_the_day_of_receipt():
    # §7021(b): the period begins on the day the request is received, so that is day 1.
    assert deadlines(regulation=Regulation.CCPA, received=date(2028, 2, 1)).respond_by == date(
        2028, 3, 16
    )


def test_ccpa_extension_adds_45_days():
    extended = deadlines(regulation=Regulation.CCPA, received=date(2026, 1, 1), extended=True)
    assert extended.respond_by == date(2026, 3, 31)


def test_the_day_of_receipt_is_the_organisations_day_not_utcs(settings):
    settings.ORGANISATION_TIME_ZONE = "America/Los_Angeles"
    five_pm_in_california = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)  # 31 January, 17:00 PST

    assert received_on(five_pm_in_california) == date(2027, 1, 31)
    assert deadlines(
        regulation=Regulation.GDPR, received=received_on(five_pm_in_california)
    ).respond_by == date(2027, 2, 28)


def test_ccpa_acknowledgement_skips_weekends():
    # Friday 2026-01-30: ten working days later is Friday 2026-02-13.
    assert deadlines(regulation=Regulation.CCPA, received=date(2026, 1, 30)).acknowledge_by == (
        date(2026, 2, 13)
    )


def test_a_business_day_after_a_friday_is_the_monday():
    assert business_days_after(date(2026, 11, 27), 1) == date(2026, 11, 30)


def test_the_record_is_kept_24_months_after_closing_on_a_leap_day():
    assert record_kept_until(date(2028, 2, 29)) == date(2030, 2, 28)
