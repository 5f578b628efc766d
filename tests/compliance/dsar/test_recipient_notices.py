"""After an opt-out of sale or sharing, a limit on sensitive information or a restriction,
the recipients that hold the person's data are told to comply (CCPA regulations
§7026(f)(2), §7027(g)(2); GDPR Art. 19): an e-mail to each connector's privacy contact
through the outbox, an audit event per recipient, listed on the request's page."""

import pytest
from django.core import mail
from django.urls import reverse

from compliance import inventory
from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from compliance.dsar import services
from provisioning.connectors.models import Connector, DownstreamAccount
from tests.factories import ApplicationFactory, PersonEmailFactory

pytestmark = pytest.mark.django_db


def connector(name, *, contact="", **flags):
    return Connector.objects.create(
        application_id=ApplicationFactory.create(name=name).pk,
        base_url=f"https://{name.lower()}.invalid/scim/v2",
        attributes=["userName", "active", "title"],
        scope=Connector.Scope.EVERYONE,
        privacy_contact=contact,
        **flags,
    )


def holding(person, *connectors):
    for index, held_at in enumerate(connectors):
        DownstreamAccount.objects.create(
            connector=held_at, person=person, downstream_id=f"acct-{index}"
        )


def fulfil(officer, request, step, data, capture):
    with capture(execute=True):
        response = officer.post(
            reverse("admin:compliance_dsar_step", args=[request.pk, step]),
            {"confirm": "on", **data},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return officer.get(
        reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    ).content.decode()


def told():
    return AuditEvent.objects.filter(action="dsar.recipient_notified").order_by("sequence")


def test_an_opt_out_tells_each_third_party_that_received_the_data(
    officer, actor, django_capture_on_commit_callbacks
):
    person = PersonEmailFactory().person
    selling = connector("Adbroker", contact="privacy@adbroker.example", sold_or_shared=True)
    holding(person, selling, connector("Slack", contact="privacy@slack.example"))
    connector("Leadgen", contact="privacy@leadgen.example", sold_or_shared=True)  # no account
    request = services.request_receive(
        actor=actor, regulation="ccpa", type="sale-opt-out", person=person
    )

    html = fulfil(officer, request, "record-choice", {}, django_capture_on_commit_callbacks)

    notices = [message for message in mail.outbox if "privacy@" in message.to[0]]
    assert [message.to for message in notices] == [["privacy@adbroker.example"]]
    body = notices[0].body
    assert "acct-0" in body
    assert str(person.pk) in body
    assert "§7026(f)(2)" in body
    assert person.user_name not in body
    assert person.given_name not in body
    (event,) = told()
    assert (event.outcome, event.data["recipient"]) == ("success", "Adbroker")
    assert "Adbroker: told on" in html
    assert crypto.decrypt(event.subject_id, event.ciphertext) == {
        "contact": "privacy@adbroker.example"
    }
    assert "privacy@" not in str(event.data)


def test_a_third_party_without_a_privacy_contact_shows_as_not_told(
    officer, actor, django_capture_on_commit_callbacks
):
    person = PersonEmailFactory().person
    holding(person, connector("Adbroker", sold_or_shared=True))
    request = services.request_receive(
        actor=actor, regulation="ccpa", type="sale-opt-out", person=person
    )

    html = fulfil(officer, request, "record-choice", {}, django_capture_on_commit_callbacks)

    assert not [message for message in mail.outbox if "adbroker" in str(message.to)]
    (event,) = told()
    assert event.outcome == "failed"
    assert "Adbroker: NOT TOLD" in html


def test_a_limit_tells_third_parties_sent_sensitive_data_they_do_not_need(
    officer, actor, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(inventory, "sensitive_scim_attributes", lambda: frozenset({"title"}))
    monkeypatch.setitem(
        inventory.PROVISIONED_APPLICATIONS, "adbroker", frozenset({"userName", "title"})
    )
    monkeypatch.setitem(
        inventory.PROVISIONED_APPLICATIONS, "needsit", frozenset({"userName", "title"})
    )
    person = PersonEmailFactory().person
    holding(
        person,
        connector("Adbroker", contact="privacy@adbroker.example", sold_or_shared=True),
        connector(
            "Needsit", contact="privacy@needsit.example", sold_or_shared=True, sensitive_needed=True
        ),
    )
    request = services.request_receive(
        actor=actor, regulation="ccpa", type="limit-sensitive", person=person
    )

    fulfil(officer, request, "record-choice", {}, django_capture_on_commit_callbacks)

    assert [event.data["recipient"] for event in told()] == ["Adbroker"]
    assert "§7027(g)(2)" in told().get().data["law"]


def test_a_restriction_tells_every_application_holding_the_data(
    officer, actor, django_capture_on_commit_callbacks
):
    person = PersonEmailFactory().person
    holding(
        person,
        connector("Slack", contact="privacy@slack.example"),
        connector("Zoom", contact="privacy@zoom.example"),
    )
    request = services.request_verify(
        actor=actor,
        request=services.request_receive(
            actor=actor, regulation="gdpr", type="restriction", person=person
        ),
        method="hr-record",
    )

    html = fulfil(
        officer,
        request,
        "restrict",
        {"ground": "accuracy contested (Art. 18(1)(a))"},
        django_capture_on_commit_callbacks,
    )

    assert sorted(message.to[0] for message in mail.outbox if "privacy@" in message.to[0]) == [
        "privacy@slack.example",
        "privacy@zoom.example",
    ]
    assert [event.data["law"] for event in told()] == ["GDPR Art. 19", "GDPR Art. 19"]
    assert "Slack: told on" in html
    assert "Zoom: told on" in html


def test_the_request_page_reads_the_notices_in_a_bounded_number_of_queries(
    officer, actor, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    person = PersonEmailFactory().person
    holding(
        person,
        *[
            connector(f"Broker{index}", contact=f"privacy@b{index}.example", sold_or_shared=True)
            for index in range(5)
        ],
    )
    request = services.request_receive(
        actor=actor, regulation="ccpa", type="sale-opt-out", person=person
    )
    fulfil(officer, request, "record-choice", {}, django_capture_on_commit_callbacks)
    page = reverse("admin:compliance_datasubjectrequest_change", args=[request.pk])
    officer.get(page)

    with django_assert_max_num_queries(18):
        html = officer.get(page).content.decode()

    assert html.count(": told on") == 5
