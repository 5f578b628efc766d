"""The provisioning activity chart: counted in SQL per day and channel, drawn as SVG."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, Channel
from compliance.panels import activity_chart, provisioning_activity

pytestmark = pytest.mark.django_db


def record(action, channel, times=1):
    actor = Actor.system("tests", channel=channel)
    for _ in range(times):
        event_record(actor=actor, action=action, target=("provisioning.person", str(uuid.uuid4())))


def test_activity_is_counted_per_day_and_channel_and_leaves_out_other_actions():
    record(Action.PERSON_CREATED, Channel.SCIM, times=3)
    record(Action.GROUP_MEMBERS_ADDED, Channel.ADMIN, times=2)
    record(Action.STAFF_LOGIN, Channel.ADMIN, times=5)  # not provisioning
    today = timezone.localdate()

    rows = provisioning_activity(since=today - timedelta(days=29))

    assert rows == [
        {"day": today, "channel": "admin", "count": 2},
        {"day": today, "channel": "scim", "count": 3},
    ]


def test_the_chart_stacks_today_s_channels_to_the_peak():
    record(Action.PERSON_CREATED, Channel.SCIM, times=3)
    record(Action.PERSON_DEACTIVATED, Channel.TASK, times=1)

    chart = activity_chart(today=timezone.localdate())

    assert chart["peak"] == chart["total"] == 4
    scim, task = (bar for bar in chart["bars"])
    assert scim.x == task.x  # the same day
    assert scim.height == pytest.approx(3 * task.height)
    assert task.y + task.height == pytest.approx(scim.y)  # stacked on top
    assert {item["label"]: item["total"] for item in chart["legend"]}["SCIM"] == 3


def test_an_empty_month_draws_no_bars():
    chart = activity_chart(today=timezone.localdate())

    assert chart["bars"] == []
    assert chart["peak"] == 0
