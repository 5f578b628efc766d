"""Downstream accounts are reviewed as items of their own: a campaign of an application
freezes the accounts the portal provisioned there, with when they were last used where the
downstream says; its owner reviews them; a revocation takes the person out of the
application through the connectors, for good, whatever they hold."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.connectors.reconcile import connector_reconcile
from provisioning.connectors.services import accounts_revoke
from provisioning.models import Connector, DownstreamAccount, ReviewItem
from provisioning.services.reviews import CampaignScope
from tests.factories import (
    AccessGrantFactory,
    ApplicationFactory,
    EntitlementFactory,
    PersonFactory,
    RoleFactory,
    StaffUserFactory,
)
from tests.provisioning.connectors.conftest import (  # noqa: F401 (fixtures)
    connector,
    downstream,
    running_server,
    scim_server,
)
from tests.provisioning.connectors.test_governance import grant, map_entitlement, members
from tests.provisioning.reviews.conftest import links_in_mail

pytestmark = pytest.mark.django_db

USED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def account(person, application, **fields):
    at = Connector.objects.filter(application=application).first() or Connector.objects.create(
        application=application, base_url="https://crm.example.org/scim/v2"
    )
    fields.setdefault("downstream_id", f"ds-{person.pk}")
    return DownstreamAccount.objects.create(connector=at, person=person, **fields)


@pytest.fixture
def crm(org):
    """An application owned by its own member of staff, where ada and bob have accounts."""
    owner = StaffUserFactory(username="crm-owner", email="crm-owner@example.org")
    application = ApplicationFactory(name="CRM", owner=owner)
    accounts = {
        "ada": account(org["ada"], application, last_used=USED),
        "bob": account(org["bob"], application),
    }
    return {"application": application, "owner": owner, "accounts": accounts}


def test_a_campaign_of_an_application_freezes_its_accounts_with_their_last_use(
    org, crm, define, start
):
    elsewhere = account(org["ada"], ApplicationFactory(name="Wiki"))
    account(org["manager"], crm["application"], downstream_id="")  # never provisioned
    run = start(define(scope=CampaignScope(applications=[crm["application"]]), accounts=True))

    frozen = {item.account_id: item for item in run.items.filter(kind="account")}
    assert set(frozen) == {crm["accounts"]["ada"].pk, crm["accounts"]["bob"].pk}
    assert elsewhere.pk not in frozen
    ada = frozen[crm["accounts"]["ada"].pk]
    assert (ada.held, ada.application_id, ada.last_used_at) == (
        "account in CRM",
        crm["application"].pk,
        USED,
    )
    assert frozen[crm["accounts"]["bob"].pk].last_used_at is None


def test_accounts_are_left_out_unless_the_campaign_asks_for_them(org, crm, define, start):
    run = start(define(scope=CampaignScope(applications=[crm["application"]])))

    assert not run.items.filter(kind="account").exists()


def test_a_revoked_account_is_not_reviewed_again(org, crm, define, start):
    DownstreamAccount.objects.filter(pk=crm["accounts"]["bob"].pk).update(revoked_at=USED)
    run = start(define(accounts=True))

    assert list(run.items.filter(kind="account").values_list("person", flat=True)) == [
        org["ada"].pk
    ]


def test_the_application_owner_reviews_its_accounts_and_direct_entitlements(
    org, crm, define, start
):
    licence = EntitlementFactory(application=crm["application"], name="licence")
    AccessGrantFactory(person=org["bob"], role=None, entitlement=licence)
    run = start(define(reviewer_kind="owner", accounts=True))

    reviewers = {
        (item.kind, item.held): (item.reviewer_email, item.routing) for item in run.items.all()
    }
    owner = ("crm-owner@example.org", "chosen")
    assert reviewers[("account", "account in CRM")] == owner
    assert reviewers[("grant", "CRM: licence")] == owner
    # A role bundles applications: its owner reviews it, as before applications had owners.
    assert reviewers[("grant", "Payroll")] == ("owner@example.org", "chosen")


def test_an_account_of_an_application_without_an_owner_goes_to_the_fallback(org, define, start):
    account(org["bob"], ApplicationFactory(name="Wiki"))
    run = start(define(reviewer_kind="owner", accounts=True))

    item = run.items.get(kind="account")
    assert (item.reviewer_email, item.routing) == ("fallback@example.org", "no-reviewer")


def test_an_account_cannot_be_shortened(org, crm, define, start):
    run = start(define(accounts=True))
    item = run.items.get(kind="account", person=org["ada"])

    response = Client().post(
        links_in_mail()["manager@example.org"],
        {"item": item.pk, "decision": "shorten", "shorten_to": "2099-01-01"},
    )

    assert response.status_code == 409
    assert "a downstream account has no end date" in response.content.decode()


def test_the_reviewer_page_says_when_an_account_was_last_used_or_that_nobody_knows(
    org, crm, define, start
):
    start(define(accounts=True))

    page = Client().get(links_in_mail()["manager@example.org"]).content.decode()

    assert "account in CRM" in page
    assert "last used: 2 Nov 2026" in page
    assert "last used: unknown" in page


def test_a_revoked_account_is_deactivated_downstream_and_stays_out(
    org,
    define,
    start,
    actor,
    connector,  # noqa: F811
    downstream,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    entitlement, mapping = map_entitlement(connector, actor)
    grant(org["bob"], None, actor, django_capture_on_commit_callbacks, entitlement=entitlement)
    bob_account = DownstreamAccount.objects.get(person=org["bob"], connector=connector)
    assert members(downstream, mapping) == {bob_account.downstream_id}
    run = start(define(scope=CampaignScope(applications=[connector.application]), accounts=True))
    item = run.items.get(kind="account", person=org["bob"])

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            links_in_mail()["manager@example.org"], {"item": item.pk, "decision": "revoke"}
        )

    bob_account.refresh_from_db()
    assert bob_account.revoked_at is not None
    assert downstream.user(bob_account.downstream_id)["active"] is False
    assert members(downstream, mapping) == set()
    assert AuditEvent.objects.filter(
        action="push.account_revoked", subject_id=str(org["bob"].pk)
    ).exists()
    item.refresh_from_db()
    assert item.remediation_event == (
        AuditEvent.objects.get(action="review.remediated", data__item=item.pk).sequence
    )
    # The entitlement is still held: the review took the account, and reconciliation
    # leaves it taken.
    with django_capture_on_commit_callbacks(execute=True):
        connector_reconcile(connector_id=connector.pk)
    assert downstream.user(bob_account.downstream_id)["active"] is False
    assert members(downstream, mapping) == set()


def test_it_lets_a_revoked_person_back_into_the_application(
    org,
    actor,
    staff_client_for,
    connector,  # noqa: F811
    downstream,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    entitlement, mapping = map_entitlement(connector, actor)
    grant(org["bob"], None, actor, django_capture_on_commit_callbacks, entitlement=entitlement)
    bob_account = DownstreamAccount.objects.get(person=org["bob"], connector=connector)
    with django_capture_on_commit_callbacks(execute=True):
        accounts_revoke(account_ids=[bob_account.pk], actor=actor, reason="access review")
    assert downstream.user(bob_account.downstream_id)["active"] is False
    client, _ = staff_client_for(roles.IT)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:provisioning_downstreamaccount_changelist"),
            {"action": "let_back_in", "_selected_action": [bob_account.pk]},
        )

    bob_account.refresh_from_db()
    assert bob_account.revoked_at is None
    assert downstream.user(bob_account.downstream_id)["active"] is True
    assert members(downstream, mapping) == {bob_account.downstream_id}
    assert AuditEvent.objects.filter(
        action="push.account_restored", subject_id=str(org["bob"].pk)
    ).exists()


def test_the_start_with_accounts_costs_the_same_queries_for_ten_or_sixty(
    org, define, start, django_assert_max_num_queries
):
    application = ApplicationFactory(name="CRM")
    counts = []
    for size in (10, 60):
        ReviewItem.objects.all().delete()
        for person in _reports(size, org):
            account(person, application)
        campaign = define(name=f"Sized {size}", accounts=True)
        with django_assert_max_num_queries(32) as queries:
            run = start(campaign)
        assert run.items.filter(kind="account").count() >= size
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


def _reports(count, org):
    return PersonFactory.create_batch(count, manager=org["manager"])


def test_the_admin_shows_and_sets_an_application_owner(staff_client_for):
    admin_client_it, _ = staff_client_for(roles.IT)
    owner = StaffUserFactory(username="crm-owner")
    application = ApplicationFactory(name="CRM", owner=owner)

    listing = admin_client_it.get(reverse("admin:provisioning_application_changelist"))

    assert "crm-owner" in listing.content.decode()
    form = admin_client_it.get(
        reverse("admin:provisioning_application_change", args=[application.pk])
    )
    assert 'name="owner"' in form.content.decode()


def test_reconciliation_keeps_the_last_sign_in_a_downstream_reports(
    org,
    define,
    start,
    actor,
    connector,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from provisioning.connectors import downstream as operations
    from provisioning.connectors.reconcile import USAGE

    with django_capture_on_commit_callbacks(execute=True):
        grant(
            org["bob"], RoleFactory(owner=org["owner"]), actor, django_capture_on_commit_callbacks
        )
    bob_account = DownstreamAccount.objects.get(person=org["bob"], connector=connector)
    real_page = operations.users_page

    def page_with_usage(scim, *, start):
        documents, total = real_page(scim, start=start)
        for document in documents:
            if document["id"] == bob_account.downstream_id:
                document[USAGE] = {"lastLogin": "2026-11-02T09:30:00Z"}
        return documents, total

    monkeypatch.setattr(operations, "users_page", page_with_usage)
    with django_capture_on_commit_callbacks(execute=True):
        connector_reconcile(connector_id=connector.pk)

    bob_account.refresh_from_db()
    assert bob_account.last_used == USED
    run = start(define(accounts=True))
    assert run.items.get(kind="account", person=org["bob"]).last_used_at == USED
