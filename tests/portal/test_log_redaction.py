"""The secret of an e-mailed link never reaches a log line, whichever logger writes it."""

import logging
from typing import Any

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

PATHS = [
    "/approvals/AbCd3f.secret-part/",
    "/reviews/AbCd3f.secret-part/",
    "/privacy/verify/AbCd3f.secret-part/",
    "/privacy/download/AbCd3f.secret-part/",
]


def console_filters() -> list[logging.Filter]:
    """The filters the portal's console handler applies, as the settings configure it.
    (Read from the settings: a Celery worker started by another test may have replaced
    the root logger's handlers in this process.)"""
    configured: dict[str, Any] = settings.LOGGING
    names = configured["handlers"]["console"]["filters"]
    return [import_string(configured["filters"][name]["()"])() for name in names]


def as_written(record: logging.LogRecord) -> str:
    for log_filter in console_filters():
        log_filter.filter(record)
    return record.getMessage()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_refused_link_is_logged_without_its_secret(client, caplog, path):
    with caplog.at_level(logging.INFO):
        client.get(path)

    # Django names the refused path (already redacted when the console handler ran first).
    prefix = path.rsplit("/", 2)[0] + "/"
    logged = [record for record in caplog.records if prefix in record.getMessage()]
    assert logged
    for record in logged:
        line = as_written(record)
        assert "secret-part" not in line
        assert "[redacted]" in line


def test_runserver_request_lines_go_through_the_console_and_its_filter():
    configured: dict[str, Any] = settings.LOGGING
    assert configured["loggers"]["django.server"]["handlers"] == ["console"]
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /approvals/AbCd3f.secret-part/ HTTP/1.1", 200, 1234),
        None,
    )

    assert as_written(record) == '"GET /approvals/[redacted]/ HTTP/1.1" 200 1234'
