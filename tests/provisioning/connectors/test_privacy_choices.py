"""Outbound provisioning honours what people asked of the processing: nothing is pushed
about a restricted person until the restriction is lifted (GDPR Art. 18); an opted-out
person is not pushed to an application that sells or shares (CCPA §1798.120); a limit
keeps sensitive attributes from applications that do not need them (§1798.121). Against a
real downstream SCIM server."""

import pytest

from compliance import inventory
from provisioning.connectors import attributes
from provisioning.connectors.models import DownstreamAccount
from provisioning.connectors.tasks import push_person
from provisioning.services import persons, privacy
from tests.provisioning.connectors.conftest import make_connector
from tests.provisioning.connectors.test_sync import onboard

pytestmark = pytest.mark.django_db


def test_nothing_is_pushed_about_a_restricted_person_until_it_is_lifted(
    actor, connector, downstream, django_capture_on_commit_callbacks
):
    person = onboard(actor, django_capture_on_commit_callbacks)
    account = DownstreamAccount.objects.get(person=person, connector=connector)
    privacy.person_restrict(person=person, actor=actor, reason="accuracy contested")

    with django_capture_on_commit_callbacks(execute=True):
        persons.person_update(
            person=person, actor=actor, fields={"title": "CTO"}, restriction_override=True
        )
    assert downstream.user(account.downstream_id)["title"] == "Engineer"

    with django_capture_on_commit_callbacks(execute=True):
        privacy.person_restriction_lift(person=person, actor=actor, reason="confirmed")
    assert downstream.user(account.downstream_id)["title"] == "CTO"


def test_a_restricted_person_gets_no_account_at_a_new_application(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    person = onboard(actor, django_capture_on_commit_callbacks)
    privacy.person_restrict(person=person, actor=actor)
    later = make_connector(running_server, actor, name="Salesforce")

    push_person.delay(str(later.pk), str(person.pk))

    assert not DownstreamAccount.objects.filter(connector=later, person=person).exists()
    assert downstream.users(f'userName eq "{person.user_name}"') == []


def test_an_opted_out_person_is_not_pushed_to_an_application_that_sells(
    actor, running_server, downstream, django_capture_on_commit_callbacks
):
    selling = make_connector(running_server, actor, name="Salesforce", sold_or_shared=True)
    person = onboard(actor, django_capture_on_commit_callbacks)
    opted_out = privacy.person_preference_set(person=person, actor=actor, preference="sale-opt-out")
    other = onboard(actor, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        persons.person_update(person=opted_out, actor=actor, fields={"title": "CTO"})

    pushed_title = downstream.user(
        DownstreamAccount.objects.get(person=person, connector=selling).downstream_id
    )["title"]
    assert pushed_title == "Engineer"  # pushed before the opt-out, never since
    assert DownstreamAccount.objects.filter(connector=selling, person=other).exists()


def test_an_opted_out_person_is_still_pushed_to_a_service_provider(
    actor, connector, downstream, django_capture_on_commit_callbacks
):
    person = onboard(actor, django_capture_on_commit_callbacks)
    privacy.person_preference_set(person=person, actor=actor, preference="sale-opt-out")

    with django_capture_on_commit_callbacks(execute=True):
        persons.person_update(person=person, actor=actor, fields={"title": "CTO"})

    account = DownstreamAccount.objects.get(person=person, connector=connector)
    assert downstream.user(account.downstream_id)["title"] == "CTO"


@pytest.fixture
def title_is_sensitive(monkeypatch):
    """No field of this portal is sensitive (docs/privacy.md says why): the test declares
    one as if it were."""
    monkeypatch.setattr(inventory, "sensitive_scim_attributes", lambda: frozenset({"title"}))


@pytest.mark.usefixtures("title_is_sensitive")
def test_a_limit_removes_sensitive_attributes_from_applications_that_do_not_need_them(
    actor, connector, downstream, django_capture_on_commit_callbacks
):
    person = onboard(actor, django_capture_on_commit_callbacks)
    account = DownstreamAccount.objects.get(person=person, connector=connector)
    assert downstream.user(account.downstream_id)["title"] == "Engineer"

    with django_capture_on_commit_callbacks(execute=True):
        privacy.person_preference_set(person=person, actor=actor, preference="limit-sensitive")

    assert "title" not in downstream.user(account.downstream_id)


@pytest.mark.usefixtures("title_is_sensitive")
def test_a_limit_keeps_sensitive_attributes_for_an_application_that_needs_them(
    actor, connector, django_capture_on_commit_callbacks
):
    person = onboard(actor, django_capture_on_commit_callbacks)
    limited = privacy.person_preference_set(
        person=person, actor=actor, preference="limit-sensitive"
    )
    connector.sensitive_needed = True

    assert attributes.desired_values(limited, connector, active=True)["title"] == "Engineer"
