import re
from datetime import timedelta

import pytest
from django.core import mail

from provisioning.models import AccessGrant, Campaign
from provisioning.services.reviews import CampaignScope, campaign_save, campaign_start
from tests.factories import AccessGrantFactory, RoleFactory, StaffUserFactory
from tests.provisioning.approvals.conftest import person_with_email


def links_in_mail() -> dict[str, str]:
    """The review link each reviewer was last e-mailed, by address."""
    links = {}
    for message in mail.outbox:
        found = re.search(r"(/reviews/[^/\s]+/)", message.body)
        if found:
            links[message.to[0]] = found[1]
    return links


@pytest.fixture
def org():
    """Two reports of one manager holding roles: Payroll (high risk) and Reporting."""
    manager = person_with_email("manager@example.org", department="Finance")
    ada = person_with_email("ada@example.org", manager=manager, department="Finance")
    bob = person_with_email("bob@example.org", manager=manager, department="Finance")
    owner = StaffUserFactory(username="owner", email="owner@example.org")
    fallback = StaffUserFactory(username="fallback", email="fallback@example.org")
    payroll = RoleFactory(name="Payroll", owner=owner, risk_level="high")
    reporting = RoleFactory(name="Reporting", owner=owner, risk_level="low")
    grants = {
        "ada-payroll": AccessGrantFactory(
            person=ada, role=payroll, source="request", reason="runs payroll"
        ),
        "ada-reporting": AccessGrantFactory(person=ada, role=reporting, source="template"),
        "bob-reporting": AccessGrantFactory(person=bob, role=reporting, source="manual"),
    }
    return {
        "manager": manager,
        "ada": ada,
        "bob": bob,
        "owner": owner,
        "fallback": fallback,
        "payroll": payroll,
        "reporting": reporting,
        "grants": grants,
    }


@pytest.fixture
def define(org, actor):
    def make(scope=None, **fields):
        campaign = Campaign(
            name=fields.pop("name", "Finance review"),
            fallback_reviewer=org["fallback"],
            duration=timedelta(days=14),
            **fields,
        )
        return campaign_save(campaign=campaign, scope=scope or CampaignScope(), actor=actor)

    return make


@pytest.fixture
def start(actor, django_capture_on_commit_callbacks):
    def run(campaign):
        with django_capture_on_commit_callbacks(execute=True):
            return campaign_start(campaign=campaign, actor=actor)

    return run


def active(grant) -> bool:
    return AccessGrant.objects.get(pk=grant.pk).status == "active"
