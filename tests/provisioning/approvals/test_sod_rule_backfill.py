"""The data migration gives the open reviews made before stages recorded their rule the
rule that most likely asked for them, so that the rule's changes reach them too."""

import importlib

import pytest
from django.apps import apps

from provisioning.models import Approval
from tests.provisioning.approvals.conftest import conflict

pytestmark = pytest.mark.django_db

migration = importlib.import_module("provisioning.migrations.0010_approval_sod_rule_backfill")


def made_before_the_field(*requests) -> None:
    Approval.objects.filter(request__in=requests).update(sod_rule=None)


def test_an_open_review_gets_the_rule_over_its_role_naming_its_reviewer(make_request, rule):
    request = make_request()
    made_before_the_field(request)

    migration.backfill(apps, None)

    assert request.approvals.get(kind="sod").sod_rule == rule


def test_an_escalated_review_gets_the_rule_of_the_review_it_was_handed_on_from(make_request, rule):
    request = make_request()
    first = request.approvals.get(kind="sod")
    Approval.objects.filter(pk=first.pk).update(decision="escalated")
    handed_on = Approval.objects.create(
        request=request,
        stage=first.stage,
        kind="sod",
        approver_email="boss@example.org",
        escalated_from=first,
    )
    made_before_the_field(request)

    migration.backfill(apps, None)

    handed_on.refresh_from_db()
    assert handed_on.sod_rule == rule


def test_of_two_rules_naming_the_reviewer_the_one_whose_other_role_is_held_is_taken(
    make_request, org, rule
):
    request = make_request()
    elsewhere = conflict(holder=org["manager"], requested=org["role"], reviewer=rule.extra_approver)
    made_before_the_field(request)

    migration.backfill(apps, None)

    assert elsewhere.approvals.count() == 0
    assert request.approvals.get(kind="sod").sod_rule == rule


def test_a_review_no_single_rule_fits_keeps_no_rule(make_request, org, rule):
    conflict(holder=org["hire"], requested=org["role"], reviewer=rule.extra_approver)
    request = make_request()
    made_before_the_field(request)

    migration.backfill(apps, None)

    assert not request.approvals.exclude(sod_rule=None).exists()


def test_decided_reviews_are_left_as_they_were(make_request, rule):
    request = make_request()
    request.approvals.filter(kind="sod").update(decision="approved")
    made_before_the_field(request)

    migration.backfill(apps, None)

    assert not request.approvals.exclude(sod_rule=None).exists()
