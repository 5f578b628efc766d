"""Access grants reach the downstream: an entitlement mapped to a downstream group, held
directly or through a role, puts its holders in that group, and ending the grant takes
them out."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from provisioning.connectors import services
from provisioning.connectors.models import Connector, DownstreamAccount, GroupMapping
from provisioning.connectors.selectors import (
    entitlement_holders,
    people_in_scope,
    person_entitlements,
)
from provisioning.models import AccessGrant
from provisioning.services import access
from tests.factories import AccessGrantFactory, EntitlementFactory, PersonFactory, RoleFactory
from tests.provisioning.connectors.conftest import make_connector

pytestmark = pytest.mark.django_db


def map_entitlement(connector, actor):
    """A new entitlement of the connector's application, mapped to a downstream group with
    a name unique to the test."""
    entitlement = EntitlementFactory(application_id=connector.application_id)
    mapping = services.group_mapping_save(
        actor=actor,
        mapping=GroupMapping(
            connector=connector,
            entitlement_id=entitlement.pk,
            downstream_name=f"ent-{uuid.uuid4().hex[:8]}",
        ),
    )
    return entitlement, mapping


@pytest.fixture
def entitlement_mapping(connector, actor):
    return map_entitlement(connector, actor)


def grant(person, role, actor, capture, **kwargs):
    with capture(execute=True):
        return access.grant_create(
            person=person, role=role, source=AccessGrant.Source.MANUAL, actor=actor, **kwargs
        )


def members(downstream, mapping):
    mapping.refresh_from_db()
    return downstream.group_members(mapping.downstream_id) if mapping.downstream_id else set()


def test_the_selectors_read_only_active_grants(actor, django_capture_on_commit_callbacks):
    entitlement = EntitlementFactory()
    role = RoleFactory(entitlements=[entitlement])
    holder, former = PersonFactory.create_batch(2)
    grant(holder, role, actor, django_capture_on_commit_callbacks)
    grant(former, role, actor, django_capture_on_commit_callbacks)
    access.grants_revoke_all(person=former, actor=actor, reason="moved")

    assert list(person_entitlements(holder)) == [entitlement]
    assert list(person_entitlements(former)) == []
    assert list(entitlement_holders(entitlement.pk)) == [holder]


def test_granting_a_role_puts_the_person_in_the_mapped_downstream_group(
    actor, connector, entitlement_mapping, downstream, django_capture_on_commit_callbacks
):
    entitlement, mapping = entitlement_mapping
    person = PersonFactory()
    role = RoleFactory(entitlements=[entitlement])

    grant(person, role, actor, django_capture_on_commit_callbacks)

    account = DownstreamAccount.objects.get(person_id=person.pk, connector=connector)
    assert members(downstream, mapping) == {account.downstream_id}


def test_revoking_the_grants_takes_the_person_out_of_the_downstream_group(
    actor, connector, entitlement_mapping, downstream, django_capture_on_commit_callbacks
):
    entitlement, mapping = entitlement_mapping
    person = PersonFactory()
    grant(
        person, RoleFactory(entitlements=[entitlement]), actor, django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        access.grants_revoke_all(person=person, actor=actor, reason="changed team")

    assert members(downstream, mapping) == set()


def test_an_expired_grant_takes_the_person_out_of_the_downstream_group(
    actor, connector, entitlement_mapping, downstream, django_capture_on_commit_callbacks
):
    entitlement, mapping = entitlement_mapping
    person = PersonFactory()
    role = RoleFactory(entitlements=[entitlement])
    grant(
        person,
        role,
        actor,
        django_capture_on_commit_callbacks,
        expires_at=timezone.now() + timedelta(days=1),
    )

    with (
        time_machine.travel(timezone.now() + timedelta(days=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert access.grants_expire(actor=actor) == 1

    assert members(downstream, mapping) == set()


def test_with_a_mapped_scope_a_grant_provisions_the_person(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    connector = make_connector(running_server, actor, scope=Connector.Scope.MAPPED)
    entitlement, _mapping = map_entitlement(connector, actor)
    person = PersonFactory()

    grant(
        person, RoleFactory(entitlements=[entitlement]), actor, django_capture_on_commit_callbacks
    )

    account = DownstreamAccount.objects.get(person_id=person.pk, connector=connector)
    assert downstream.user(account.downstream_id)["active"] is True


def test_reconciliation_scope_includes_the_holders_of_a_mapped_entitlement(
    actor, running_server, django_capture_on_commit_callbacks
):
    connector = make_connector(running_server, actor, scope=Connector.Scope.MAPPED)
    entitlement = EntitlementFactory(application_id=connector.application_id)
    GroupMapping.objects.create(
        connector=connector,
        entitlement_id=entitlement.pk,
        downstream_name=f"s-{uuid.uuid4().hex[:8]}",
    )
    holder, _other = PersonFactory.create_batch(2)
    AccessGrantFactory(person=holder, role=RoleFactory(entitlements=[entitlement]))

    assert list(people_in_scope(connector)) == [holder]


def test_an_entitlement_granted_directly_reaches_the_downstream_group(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    connector = make_connector(running_server, actor, scope=Connector.Scope.MAPPED)
    entitlement, mapping = map_entitlement(connector, actor)
    holder, _other = PersonFactory.create_batch(2)

    with django_capture_on_commit_callbacks(execute=True):
        access.grant_create(
            person=holder, entitlement=entitlement, source=AccessGrant.Source.MANUAL, actor=actor
        )

    assert list(people_in_scope(connector)) == [holder]
    account = DownstreamAccount.objects.get(person_id=holder.pk, connector=connector)
    assert members(downstream, mapping) == {account.downstream_id}
