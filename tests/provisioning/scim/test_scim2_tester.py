"""python-scim's conformance suite (scim2-tester) against the portal served for real:
demo data seeded, a token issued by `manage.py scim_token`, every check over HTTP. It
builds its models from what /Schemas and /ResourceTypes say, so an attribute the portal
returns without declaring it, or declares without keeping what a client sets, fails here."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.provisioning.scim.conformance import describe, failures, run_checks

# Transactional: the live server's thread reads what the test committed. The staff roles
# seed_demo needs come back after each flush (portal.roles.sync_role_permissions).
pytestmark = [pytest.mark.scim_conformance, pytest.mark.django_db(transaction=True)]


def issued_token(name: str, profile: str) -> str:
    out = StringIO()
    call_command("scim_token", "create", name, "--profile", profile, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.parametrize("profile", ["directory", "minimal"])
def test_scim2_tester_finds_no_failure(live_server, profile):
    call_command("seed_demo", stdout=StringIO())
    token = issued_token(f"scim2-tester ({profile})", profile)

    results = run_checks(f"{live_server.url}/scim/v2", token)

    assert len(results) > 60  # every check ran: discovery, then CRUD on Users and Groups
    assert [describe(result) for result in failures(results)] == []
