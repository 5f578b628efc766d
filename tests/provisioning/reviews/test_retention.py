"""Access reviews are kept as evidence for the governance retention, then deleted by the
retention job with their reviewers' shares and items."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.retention import retention_apply
from provisioning.models import Campaign, CampaignRun, ReviewItem
from provisioning.services import review_decisions
from tests.factories import ApplicationFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

KEPT = timedelta(days=365 * 2)  # provisioning.inventory.GOVERNANCE_RETENTION


def test_a_closed_review_is_deleted_once_past_its_retention_and_not_before(define, start, actor):
    run = start(define(on_undecided=Campaign.Undecided.KEEP))
    review_decisions.reviews_deadline_process(actor=actor, now=run.deadline + timedelta(days=1))
    closed_at = CampaignRun.objects.get(pk=run.pk).closed_at
    assert closed_at is not None
    assert ReviewItem.objects.filter(run=run).exists()

    with time_machine.travel(closed_at + KEPT - timedelta(days=1)):
        retention_apply(actor=Actor.system("retention"))
    assert CampaignRun.objects.filter(pk=run.pk).exists()

    with time_machine.travel(closed_at + KEPT + timedelta(days=1)):
        done = retention_apply(actor=Actor.system("retention"))

    assert done["reviews_deleted"] == 1
    assert not CampaignRun.objects.filter(pk=run.pk).exists()
    assert not ReviewItem.objects.exists()
    assert Campaign.objects.filter(pk=run.campaign_id).exists()  # still active: kept
    assert timezone.now() < closed_at + KEPT  # the clock came back


def test_an_application_forgets_an_owner_whose_staff_account_was_deactivated():
    gone = ApplicationFactory(owner=StaffUserFactory(is_active=False))
    kept = ApplicationFactory(owner=StaffUserFactory())

    done = retention_apply(actor=Actor.system("retention"))

    assert done["application_owners_cleared"] == 1
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.owner_id, kept.owner_id is not None) == (None, True)
