"""IT's admin for connectors: write-only secrets, inventory-checked mapping, connection test,
health at a glance."""

import re

import pytest
from django.urls import reverse

from portal.roles import IT
from provisioning.connectors import credentials
from provisioning.connectors.models import Connector, DownstreamAccount
from tests.factories import ApplicationFactory, EntitlementFactory, PersonFactory
from tests.provisioning.connectors.conftest import SENT, TOKEN, make_connector

pytestmark = pytest.mark.django_db
ADD = "admin:provisioning_connector_add"


def form_data(application, **overrides):
    return {
        "application": application.pk,
        "base_url": "https://slack.example.org/scim/v2",
        "auth": "bearer",
        "token_url": "",
        "client_id": "",
        "secret": "s3cret-token",
        "attributes": ["userName", "displayName"],
        "scope": "mapped",
        "deprovision": "deactivate",
        "enabled": "on",
        "processor": "Slack Technologies, LLC",
        "processor_country": "United States",
        "transfer_safeguard": "adequacy",
        "mappings-TOTAL_FORMS": "0",
        "mappings-INITIAL_FORMS": "0",
        **overrides,
    }


def test_the_secret_is_stored_encrypted_and_never_shown_again(staff_client_for):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    response = client.post(reverse(ADD), form_data(application))

    assert response.status_code == 302
    connector = Connector.objects.get(application_id=application.pk)
    assert "s3cret-token" not in connector.secret_sealed
    assert credentials.unseal(connector.secret_sealed, connector_id=connector.pk) == (
        "s3cret-token"
    )
    page = client.get(reverse("admin:provisioning_connector_change", args=[connector.pk]))
    assert "s3cret-token" not in page.content.decode()


def test_the_connector_declares_its_processor_for_the_record_of_processing(staff_client_for):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    client.post(reverse(ADD), form_data(application, transfer_safeguard="sccs"))

    connector = Connector.objects.get(application_id=application.pk)
    assert (connector.processor, connector.processor_country, connector.transfer_safeguard) == (
        "Slack Technologies, LLC",
        "United States",
        "sccs",
    )


def test_a_processor_without_its_country_is_a_form_error(staff_client_for):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    response = client.post(reverse(ADD), form_data(application, processor_country=""))

    assert response.status_code == 200
    assert "Say where the processor processes the data." in response.content.decode()
    assert not Connector.objects.exists()


def test_an_attribute_the_inventory_does_not_allow_for_the_application_is_a_form_error(
    staff_client_for,
):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")

    response = client.post(
        reverse(ADD), form_data(application, attributes=["userName", "phoneNumbers"])
    )

    assert response.status_code == 200
    assert "phoneNumbers may not be sent to Slack" in response.content.decode()
    assert not Connector.objects.exists()


def test_an_application_without_an_allow_list_cannot_get_a_connector(staff_client_for):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Unlisted tool")

    response = client.post(reverse(ADD), form_data(application, attributes=[]))

    assert "has no allow-list" in response.content.decode()
    assert not Connector.objects.exists()


def test_testing_a_connection_says_what_the_downstream_supports(
    staff_client_for, running_server, actor
):
    connector = make_connector(running_server, actor)
    client, _ = staff_client_for(IT)

    response = client.post(
        reverse("admin:provisioning_connector_changelist"),
        {"action": "test_connection", "_selected_action": [connector.pk]},
        follow=True,
    )

    text = response.content.decode()
    assert "supports patch, bulk, filter" in text
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in text
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in text


def test_testing_a_connection_with_a_wrong_token_is_a_clear_error(
    staff_client_for, running_server, actor
):
    connector = make_connector(running_server, actor)
    Connector.objects.filter(pk=connector.pk).update(
        secret_sealed=credentials.seal("wrong", connector_id=connector.pk)
    )
    client, _ = staff_client_for(IT)

    response = client.post(
        reverse("admin:provisioning_connector_changelist"),
        {"action": "test_connection", "_selected_action": [connector.pk]},
        follow=True,
    )

    text = response.content.decode()
    assert f"{connector.application.name} refused the token (401)." in text
    assert "Check the token in" in text
    assert "Exception" not in text  # no library class names
    assert TOKEN not in text


def test_testing_a_connection_that_nothing_answers_says_what_to_check(
    staff_client_for, scim_server, actor
):
    connector = make_connector(scim_server, actor)
    scim_server.stop()
    client, _ = staff_client_for(IT)
    try:
        response = client.post(
            reverse("admin:provisioning_connector_changelist"),
            {"action": "test_connection", "_selected_action": [connector.pk]},
            follow=True,
        )
    finally:
        scim_server.start()

    text = response.content.decode()
    assert "could not be reached" in text
    assert "Check the SCIM base URL" in text
    assert "Exception" not in text
    assert "ConnectError" not in text


def test_the_changelist_shows_each_connectors_push_health(staff_client_for, running_server, actor):
    connector = make_connector(running_server, actor, attributes=SENT)
    for status in ("healthy", "healthy", "retrying", "dead-lettered"):
        DownstreamAccount.objects.create(
            connector=connector, person_id=PersonFactory().pk, status=status
        )
    client, _ = staff_client_for(IT)

    response = client.get(reverse("admin:provisioning_connector_changelist"))

    text = response.content.decode()
    for column, count in (("healthy", 2), ("retrying", 1), ("dead_lettered", 1)):
        assert re.search(f'<td class="field-{column}"><a href="[^"]+">{count}</a></td>', text)
    assert '<td class="field-orphans">0</td>' in text


def test_a_group_mapping_from_another_applications_entitlement_is_a_form_error(staff_client_for):
    client, _ = staff_client_for(IT)
    application = ApplicationFactory(name="Slack")
    foreign = EntitlementFactory(application=ApplicationFactory(name="GitHub"))
    mapping = {
        "mappings-TOTAL_FORMS": "1",
        "mappings-0-entitlement": foreign.pk,
        "mappings-0-downstream_name": "maintainers",
    }

    response = client.post(reverse(ADD), form_data(application, **mapping))

    assert "This entitlement belongs to another application." in response.content.decode()
    assert not Connector.objects.exists()


def test_the_attribute_choices_read_as_names_not_urns(staff_client_for):
    client, _ = staff_client_for(IT)

    body = client.get(reverse(ADD)).content.decode()

    assert "department (enterprise)" in body
    assert ">urn:ietf:params:scim:schemas:extension" not in body
