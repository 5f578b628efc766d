"""Data-subject requests reach access reviews: the items about a person, and those they
reviewed, are in the export; erasure blanks the free text and the reviewer's address."""

import pytest

from provisioning.models import ReviewAssignment, ReviewItem
from provisioning.services.review_decisions import ItemDecision, review_decide_as_staff
from tests.factories import StaffUserFactory
from tests.provisioning.approvals.test_dsar_access import erased, exported_access

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def reviewed(org, define, start, actor):
    """The manager kept ada's Payroll, saying why."""
    run = start(define())
    item = run.items.get(grant=org["grants"]["ada-payroll"])
    review_decide_as_staff(
        user=StaffUserFactory(email="manager@example.org"),
        decisions=[ItemDecision(item.pk, "keep", "she runs month end")],
        actor=actor,
    )
    return item


def test_the_export_holds_the_reviews_of_the_persons_access(org, actor, reviewed):
    records = exported_access(actor, org["ada"])["access-reviews"]

    payroll = next(record for record in records if record["access"] == "Payroll")
    assert (payroll["as"], payroll["decision"], payroll["comment"]) == (
        "subject",
        "keep",
        "she runs month end",
    )
    assert payroll["reason"] == "runs payroll"


def test_the_export_of_a_reviewer_holds_what_they_reviewed(org, actor, reviewed):
    records = exported_access(actor, org["manager"])["access-reviews"]

    assert {record["as"] for record in records} == {"reviewer"}
    assert len(records) == 3


def test_erasure_blanks_the_reason_and_the_comment(org, actor, reviewed):
    erased(actor, org["ada"])

    item = ReviewItem.objects.get(pk=reviewed.pk)
    assert (item.grant_reason, item.comment) == ("", "")
    assert item.decision == "keep"  # the pseudonymous evidence stays


def test_erasing_a_reviewer_takes_their_address_off_the_review(org, actor, reviewed):
    erased(actor, org["manager"])

    assert not ReviewItem.objects.filter(reviewer_email="manager@example.org").exists()
    assert not ReviewAssignment.objects.filter(reviewer_email="manager@example.org").exists()
