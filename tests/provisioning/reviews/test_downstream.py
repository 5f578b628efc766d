"""A revocation in a review reaches the downstream application, as any ended grant does:
against a real scim2-server, the holder leaves the downstream group the role maps to."""

import pytest
from django.test import Client

from provisioning.models import DownstreamAccount
from tests.factories import RoleFactory
from tests.provisioning.connectors.conftest import (  # noqa: F401 (fixtures)
    connector,
    downstream,
    running_server,
    scim_server,
)
from tests.provisioning.connectors.test_governance import grant, map_entitlement, members
from tests.provisioning.reviews.conftest import links_in_mail

pytestmark = pytest.mark.django_db


def test_a_revocation_takes_the_holder_out_of_the_downstream_group(
    org,
    define,
    start,
    actor,
    connector,  # noqa: F811
    downstream,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    entitlement, mapping = map_entitlement(connector, actor)
    role = RoleFactory(name="Ledger", entitlements=[entitlement], owner=org["owner"])
    grant(org["bob"], role, actor, django_capture_on_commit_callbacks)
    account = DownstreamAccount.objects.get(person_id=org["bob"].pk, connector=connector)
    assert members(downstream, mapping) == {account.downstream_id}
    run = start(define())
    item = run.items.get(role=role)
    client = Client()
    path = links_in_mail()["manager@example.org"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"item": item.pk, "decision": "revoke"})

    assert members(downstream, mapping) == set()
