"""The secret of an e-mailed link never reaches a log line, whichever logger writes it."""

import io
import logging

import pytest


@pytest.fixture
def console():
    """What the portal's console handler writes, filters and all."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/approvals/AbCd3f.secret-part/",
        "/reviews/AbCd3f.secret-part/",
        "/privacy/verify/AbCd3f.secret-part/",
        "/privacy/download/AbCd3f.secret-part/",
    ],
)
def test_a_refused_link_is_logged_without_its_secret(client, console, path):
    client.get(path)

    logged = console.getvalue()
    assert path.split("/")[1] in logged
    assert "secret-part" not in logged


def test_runserver_request_lines_go_through_the_same_filter(console):
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /approvals/AbCd3f.secret-part/ HTTP/1.1", 200, 1234
    )

    assert "secret-part" not in console.getvalue()
    assert "/approvals/[redacted]" in console.getvalue()
