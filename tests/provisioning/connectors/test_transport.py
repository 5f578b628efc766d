"""Personal data and secrets go downstream only encrypted: with DEBUG off a connector's
addresses must be https://, except loopback ones for a local test server."""

import pytest
from django.urls import reverse

from portal.roles import IT
from provisioning.connectors import services
from provisioning.connectors.errors import InsecureTransportError
from provisioning.connectors.models import Connector
from tests.factories import ApplicationFactory
from tests.provisioning.connectors.test_admin import ADD, form_data

pytestmark = pytest.mark.django_db


def test_a_plain_http_base_url_is_a_form_error_saying_why(staff_client_for):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    response = client.post(
        reverse(ADD), form_data(application, base_url="http://slack.example.org/scim/v2")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "http://slack.example.org/scim/v2 is plain HTTP" in errors["base_url"][0]
    assert "use https://" in errors["base_url"][0]
    assert not Connector.objects.exists()


def test_a_plain_http_oauth_token_url_is_a_form_error(staff_client_for):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    response = client.post(
        reverse(ADD),
        form_data(
            application,
            auth="oauth",
            client_id="portal",
            token_url="http://login.example.org/token",
        ),
    )

    assert "is plain HTTP" in response.context["adminform"].form.errors["token_url"][0]
    assert not Connector.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/scim/v2", "http://localhost:8080/scim/v2", "http://[::1]/v2"]
)
def test_plain_http_to_a_loopback_address_is_accepted_for_local_testing(staff_client_for, url):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    response = client.post(reverse(ADD), form_data(application, base_url=url))

    assert response.status_code == 302
    assert Connector.objects.get().base_url == url


def test_plain_http_is_accepted_while_debug_is_on(staff_client_for, settings):
    settings.DEBUG = True
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    response = client.post(
        reverse(ADD), form_data(application, base_url="http://slack.example.org/scim/v2")
    )

    assert response.status_code == 302


def test_the_service_refuses_plain_http_whatever_the_door(actor):
    connector = Connector(
        application_id=ApplicationFactory(name="Slack").pk,
        base_url="http://slack.example.org/scim/v2",
        attributes=["userName"],
    )

    with pytest.raises(InsecureTransportError, match="is plain HTTP"):
        services.connector_create(actor=actor, connector=connector, secret="s3cret")

    assert not Connector.objects.exists()


def test_a_connector_saved_with_http_while_debug_was_on_is_not_contacted(actor, settings):
    settings.DEBUG = True
    connector = services.connector_create(
        actor=actor,
        connector=Connector(
            application_id=ApplicationFactory(name="Slack").pk,
            base_url="http://slack.example.org/scim/v2",
            attributes=["userName"],
        ),
        secret="s3cret",
    )
    settings.DEBUG = False

    with pytest.raises(InsecureTransportError):
        services.connection_test(connector=connector)
