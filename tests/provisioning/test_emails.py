import pytest
from django.core import mail
from django.db import transaction

from provisioning.emails import email_send
from provisioning.models import SentEmail
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(tmp_path, settings):
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "hello.subject.txt").write_text("Hello {{ name }}\n")
    (folder / "hello.txt").write_text("Hi {{ name }}, see {{ portal_base_url }}")
    (folder / "hello.html").write_text("<p>Hi {{ name }}</p>")
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path]} for engine in settings.TEMPLATES]


def test_sends_html_and_text_after_commit_and_keeps_a_copy(
    templates, django_capture_on_commit_callbacks
):
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        email_send(to=["a@example.org"], template="hello", context={"name": "Ada"}, about=[person])

    (message,) = mail.outbox
    assert message.subject == "Hello Ada"
    assert message.alternatives[0][0] == "<p>Hi Ada</p>"
    assert list(SentEmail.objects.get().about.all()) == [person]


def test_subject_and_text_are_plain_text_and_only_html_is_escaped(
    templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email_send(to=["a@example.org"], template="hello", context={"name": "Yara O'Brien & Co"})

    (message,) = mail.outbox
    assert message.subject == "Hello Yara O'Brien & Co"
    assert message.body.startswith("Hi Yara O'Brien & Co,")
    assert message.alternatives[0][0] == "<p>Hi Yara O&#x27;Brien &amp; Co</p>"
    assert SentEmail.objects.get().subject == "Hello Yara O'Brien & Co"


def send_then_fail() -> None:
    with transaction.atomic():
        email_send(to=["a@example.org"], template="hello", context={"name": "Ada"})
        raise RuntimeError


def test_a_rolled_back_change_sends_nothing(templates):
    with pytest.raises(RuntimeError):
        send_then_fail()

    assert mail.outbox == []
    assert not SentEmail.objects.exists()
