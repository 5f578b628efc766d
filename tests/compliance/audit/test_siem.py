"""Committed audit events reach the SIEM as one JSON line each, or as RFC 5424 syslog."""

import json
import logging
import re
import socket

import pytest
from django.db import transaction

from compliance.audit import siem
from compliance.audit.models import AuditEvent
from provisioning.services.persons import person_create

pytestmark = pytest.mark.django_db

RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (?P<host>\S+) "
    r"provisioning-portal (?P<procid>\d+) (?P<msgid>\S+) - (?P<msg>\{.*\})$"
)


@pytest.fixture
def forwarding(settings):
    settings.AUDIT_SIEM_FORMAT = "jsonl"


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger=siem.logger.name)
    return lambda: [r.getMessage() for r in caplog.records if r.name == siem.logger.name]


def test_a_committed_event_is_one_json_line_without_personal_data(
    forwarding, lines, actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        person = person_create(actor=actor, fields={"user_name": "ada", "given_name": "Ada"})
    event = AuditEvent.objects.get()

    (line,) = lines()

    assert "\n" not in line
    assert json.loads(line) == {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "action": "person.created",
        "outcome": "success",
        "actor_kind": "system",
        "actor_id": "tests",
        "actor_label": "tests",
        "channel": "cli",
        "target_type": "provisioning.person",
        "target_id": str(person.pk),
        "subject_id": str(person.pk),
        "request_id": event.request_id,
        "data": {},
        "hash": event.hash,
        "ocsf_class_uid": 3001,
    }
    assert "Ada" not in line
    assert event.ciphertext not in line


def test_nothing_is_forwarded_before_the_commit_or_after_a_rollback(
    forwarding, lines, actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                person_create(actor=actor, fields={"user_name": "ada"})
                assert lines() == []
                raise RuntimeError("the change fails after its event was written")
        except RuntimeError:
            pass

    assert callbacks == []
    assert lines() == []


def test_nothing_is_forwarded_when_forwarding_is_off(
    settings, lines, actor, django_capture_on_commit_callbacks
):
    settings.AUDIT_SIEM_FORMAT = "off"

    with django_capture_on_commit_callbacks(execute=True):
        person_create(actor=actor, fields={"user_name": "ada"})

    assert lines() == []


@pytest.fixture
def udp_collector():
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(("127.0.0.1", 0))
    collector.settimeout(5)
    yield collector
    collector.close()


@pytest.fixture
def syslog_to(forwarding):
    attached = []

    def attach(address, transport):
        host, port = address
        handler = siem.SyslogHandler(host, port, transport=transport)
        handler.setFormatter(logging.Formatter("%(message)s"))
        siem.logger.addHandler(handler)
        attached.append(handler)

    yield attach
    for handler in attached:
        siem.logger.removeHandler(handler)
        handler.close()


def test_an_rfc5424_message_reaches_a_udp_collector(
    udp_collector, syslog_to, actor, django_capture_on_commit_callbacks
):
    syslog_to(udp_collector.getsockname(), "udp")

    with django_capture_on_commit_callbacks(execute=True):
        person_create(actor=actor, fields={"user_name": "ada"})
    datagram, _ = udp_collector.recvfrom(65535)

    match = RFC5424.match(datagram.decode())
    assert match, datagram
    assert match["pri"] == str(13 * 8 + 6)  # facility "log audit", severity informational
    assert match["msgid"] == "person.created"
    assert json.loads(match["msg"])["hash"] == AuditEvent.objects.get().hash


def test_rfc5424_over_tcp_is_octet_counted(syslog_to, actor, django_capture_on_commit_callbacks):
    collector = socket.create_server(("127.0.0.1", 0))
    collector.settimeout(5)
    syslog_to(collector.getsockname(), "tcp")

    with django_capture_on_commit_callbacks(execute=True):
        person_create(actor=actor, fields={"user_name": "ada"})
    connection, _ = collector.accept()
    with connection, collector:
        connection.settimeout(5)
        received = connection.recv(65535).decode()

    length, _, message = received.partition(" ")
    assert int(length) == len(message.encode())
    assert RFC5424.match(message)
