"""`manage.py scim_token create NAME` gives IT a token to paste into the identity provider."""

from io import StringIO

import pytest
from django.core.management import call_command

from compliance.audit.models import AuditEvent
from provisioning.models import ScimClient, ScimToken
from provisioning.services.scim_clients import scim_token_matches

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("scim_token", "create", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_creates_the_client_and_prints_the_token_alone_on_the_last_line():
    lines = run("Entra ID")

    client = ScimClient.objects.get(name="Entra ID")
    token = client.tokens.get()
    assert scim_token_matches(token, lines[-1])
    assert lines[-1] not in token.secret_hash
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "scim.client_created",
        "scim.token_created",
    }


def test_a_second_run_adds_a_token_and_keeps_the_first_valid():
    first = run("Okta")[-1]
    second = run("Okta")[-1]

    assert ScimClient.objects.count() == 1
    tokens = ScimToken.objects.filter(revoked_at__isnull=True)
    assert tokens.count() == 2
    assert first != second


def test_an_unknown_profile_is_a_one_line_error():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="profile"):
        run("Other", "--profile", "everything")
