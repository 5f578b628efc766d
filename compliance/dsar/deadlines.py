"""Legal deadlines of data-subject requests, computed with calendar arithmetic.

GDPR Art. 12(3): answer within one calendar month of receipt; one extension by up to two
further months, with reasons, the person told within the first month.
CCPA regulations §7021: acknowledge within 10 business days; answer within 45 calendar
days, a period that "shall begin on the day that the business receives the request"
(§7021(b)), so the day of receipt is its first day; one extension by a further 45 days with
notice. An opt-out of sale or sharing and a limit on the use of sensitive personal
information are acted on no later than 15 business days from receipt (§7026(f), §7027(g)),
with no acknowledgement (§7021(a) names only requests to delete, correct and know) and no
extension. §7101: keep the record 24 months.

Both count from the day of receipt where the organisation is (ORGANISATION_TIME_ZONE).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, FR, MO, TH, TU, WE, rrule
from django.conf import settings
from django.db import models


class Regulation(models.TextChoices):
    GDPR = "gdpr", "GDPR"
    CCPA = "ccpa", "CCPA/CPRA"


GDPR_MONTHS = 1
GDPR_MAX_EXTENSION_MONTHS = 2
CCPA_ACKNOWLEDGE_BUSINESS_DAYS = 10
CCPA_DAYS = 45
CCPA_EXTENSION_DAYS = 45
CCPA_CHOICE_BUSINESS_DAYS = 15
# The CCPA requests answered within CCPA_CHOICE_BUSINESS_DAYS (their RequestType values).
CCPA_CHOICES = frozenset({"sale-opt-out", "limit-sensitive"})
RECORD_KEPT = relativedelta(months=24)


@dataclass(frozen=True)
class Deadlines:
    acknowledge_by: date | None
    respond_by: date


def received_on(moment: datetime) -> date:
    """The day a request received at `moment` was received, where the organisation is."""
    return moment.astimezone(ZoneInfo(settings.ORGANISATION_TIME_ZONE)).date()


def business_days_after(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after `start`."""
    weekdays = rrule(DAILY, dtstart=start + timedelta(days=1), byweekday=(MO, TU, WE, TH, FR))
    return weekdays[days - 1].date()


def deadlines(
    *,
    regulation: str,
    received: date,
    type: str = "",
    extended: bool = False,
    extension_months: int = 0,
) -> Deadlines:
    """The deadlines of a request of `type` received on `received`, with any extension
    granted (`extension_months` is the GDPR extension; CCPA's is always 45 days). A CCPA
    opt-out or limit is due 15 business days on, counted as the acknowledgement is.

    A GDPR extension counts from receipt (received + 1 + n months) rather than adding months
    to an already clamped month end: Jan 31 + 1 month is Feb 28, and Feb 28 + 2 months
    would lose two days the person's Art. 12(3) period gives them."""
    if regulation == Regulation.GDPR:
        months = GDPR_MONTHS + (extension_months if extended else 0)
        return Deadlines(None, received + relativedelta(months=months))
    if type in CCPA_CHOICES:
        return Deadlines(None, business_days_after(received, CCPA_CHOICE_BUSINESS_DAYS))
    extension = CCPA_EXTENSION_DAYS if extended else 0
    return Deadlines(
        business_days_after(received, CCPA_ACKNOWLEDGE_BUSINESS_DAYS),
        received + timedelta(days=CCPA_DAYS - 1 + extension),  # the receipt day is day 1
    )


def record_kept_until(closed: date) -> date:
    """CCPA §7101: the minimal record of a request is kept 24 months after it closes."""
    return closed + RECORD_KEPT
