"""SIEM forwarding is configured by environment; a bad value stops start-up with one line."""

import pytest

from tests.portal.test_settings import manage


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AUDIT_SIEM_FORMAT": "xml"}, "AUDIT_SIEM_FORMAT must be jsonl, syslog or off, not 'xml'"),
        (
            {"AUDIT_SIEM_FORMAT": "syslog"},
            "AUDIT_SYSLOG_ADDRESS must be host:port when AUDIT_SIEM_FORMAT is syslog",
        ),
        (
            {"AUDIT_SIEM_FORMAT": "syslog", "AUDIT_SYSLOG_ADDRESS": "siem.example.org"},
            "AUDIT_SYSLOG_ADDRESS must be host:port when AUDIT_SIEM_FORMAT is syslog",
        ),
        (
            {"AUDIT_SYSLOG_TRANSPORT": "quic"},
            "AUDIT_SYSLOG_TRANSPORT must be udp or tcp, not 'quic'",
        ),
    ],
)
def test_bad_siem_configuration_stops_with_one_line(env, message):
    result = manage("check", **env)

    assert result.returncode == 1
    assert result.stderr.strip() == f"Configuration error: {message}"


def test_syslog_forwarding_with_an_address_starts():
    result = manage("check", AUDIT_SIEM_FORMAT="syslog", AUDIT_SYSLOG_ADDRESS="127.0.0.1:514")

    assert result.returncode == 0, result.stderr
