import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from portal import roles
from provisioning.models import AccessRequest, Approval, SodRule
from provisioning.services.requests import access_request
from tests.factories import (
    AccessGrantFactory,
    PersonEmailFactory,
    PersonFactory,
    RoleFactory,
    SodRuleFactory,
    StaffUserFactory,
)


def person_with_email(email, **fields):
    person = PersonFactory(user_name=email, **fields)
    PersonEmailFactory(person=person, value=email)
    return person


@pytest.fixture
def org():
    """A hire whose manager and role owner each approve a stage."""
    boss = person_with_email("boss@example.org")
    manager = person_with_email("manager@example.org", manager=boss)
    hire = person_with_email("hire@example.org", manager=manager)
    owner = StaffUserFactory(username="owner", email="owner@example.org")
    requester = StaffUserFactory(username="requester", email="requester@example.org")
    role = RoleFactory(name="Payroll", owner=owner, max_duration=timedelta(days=30))
    return {
        "boss": boss,
        "manager": manager,
        "hire": hire,
        "owner": owner,
        "requester": requester,
        "role": role,
    }


@pytest.fixture
def make_request(org, actor, django_capture_on_commit_callbacks):
    def make(**overrides):
        kwargs = {
            "person": org["hire"],
            "role": org["role"],
            "requested_by": org["requester"],
            "justification": "Runs payroll this quarter",
            "duration": timedelta(days=14),
            "actor": actor,
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return access_request(**kwargs)

    return make


@pytest.fixture
def it_saves(staff_client_for, django_capture_on_commit_callbacks):
    """it_saves(obj, data): IT posts the form data on the object's admin change page, and
    what the save schedules for after its commit runs. Returns the messages IT sees."""
    client, _ = staff_client_for(roles.IT)

    def save(obj, data) -> list[str]:
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        return [str(message) for message in get_messages(response.wsgi_request)]

    return save


@pytest.fixture
def it_deletes(staff_client_for, django_capture_on_commit_callbacks):
    """it_deletes(obj): IT confirms the deletion on the object's admin delete page, and
    what the deletion schedules for after its commit runs."""
    client, _ = staff_client_for(roles.IT)

    def delete(obj) -> None:
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"post": "yes"})
        assert response.status_code == 302

    return delete


def conflict(*, holder, requested, reviewer, held: str = "Treasury") -> SodRule:
    """A rule asking `reviewer` to review `requested` for anyone holding a role named
    `held`, which `holder` holds."""
    role = RoleFactory.create(name=held)
    AccessGrantFactory.create(person=holder, role=role)
    return SodRuleFactory.create(
        role_a=requested,
        role_b=role,
        effect=SodRule.Effect.EXTRA_APPROVAL,
        extra_approver=reviewer,
    )


@pytest.fixture
def rule(org):
    """The hire already holds a role that conflicts with the one requested; security reviews."""
    return conflict(
        holder=org["hire"],
        requested=org["role"],
        reviewer=StaffUserFactory(username="security", email="security@example.org"),
        held="Accounts payable",
    )


@pytest.fixture
def colleague(org, rule):
    """Another of the manager's reports, holding another role that conflicts with the one
    requested, under another rule that security reviews too."""
    person = person_with_email("colleague@example.org", manager=org["manager"])
    conflict(holder=person, requested=org["role"], reviewer=rule.extra_approver)
    return person


@pytest.fixture
def review_pending(client, django_capture_on_commit_callbacks):
    """The manager and the owner approve, so that the rule's stage (the third) is pending."""

    def approve_up_to_review(request: AccessRequest) -> None:
        for approver in ("manager@example.org", "owner@example.org"):
            decide(client, approver, django_capture_on_commit_callbacks)
        assert request.approvals.get(stage=3).decision == Approval.Decision.PENDING

    return approve_up_to_review


def decide(client, approver, capture, decision="approve"):
    """The approver decides from the link in their latest e-mail; returns the response."""
    with capture(execute=True):
        return client.post(link_to(approver), {"decision": decision})


LINK = re.compile(r"https?://[^\s\"]+/approvals/[^\s\"/]+/")


def link_to(address):
    """The approval link in the latest e-mail to this address, as a path."""
    for message in reversed(mail.outbox):
        if address in message.to:
            url = LINK.search(message.body).group(0)
            return "/" + url.split("/", 3)[3]
    raise AssertionError(f"no e-mail to {address}")
