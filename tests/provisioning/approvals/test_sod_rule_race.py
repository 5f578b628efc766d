"""A rule deleted while a request is being planned under it: the deletion waits for the
request, then withdraws the review the request was given; neither fails."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connections

from provisioning.models import AccessRequest, SodRule
from provisioning.services import requests, roles

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

WITHDRAWN = "the separation-of-duties rule that asked for this review was removed"


def test_a_rule_deleted_while_a_request_is_planned_withdraws_its_review(org, rule, actor):
    planned = threading.Event()
    failures: list[Exception] = []
    excluded = requests.excluded_identities

    def slow_excluded(**kwargs):
        """The planner has read the rules and not yet written the stages: the deleter
        runs now, and the planner goes on after a pause that outlasts a deletion."""
        planned.set()
        time.sleep(0.5)
        return excluded(**kwargs)

    def delete():
        try:
            planned.wait(timeout=10)
            roles.sod_rule_delete(rule=SodRule.objects.get(pk=rule.pk), actor=actor)
        except Exception as error:  # surfaced below: the thread's failure fails the test
            failures.append(error)
        finally:
            connections.close_all()

    deleter = threading.Thread(target=delete)
    deleter.start()
    with mock.patch.object(requests, "excluded_identities", slow_excluded):
        request = requests.access_request(
            person=org["hire"],
            role=org["role"],
            requested_by=org["requester"],
            justification="Runs payroll this quarter",
            duration=timedelta(days=14),
            actor=actor,
        )
    deleter.join(timeout=30)

    assert failures == []
    assert not SodRule.objects.filter(pk=rule.pk).exists()
    review = AccessRequest.objects.get(pk=request.pk).approvals.get(kind="sod")
    assert (review.decision, review.comment) == ("skipped", WITHDRAWN)
