"""Retention: what outlived its period is removed or anonymised, and recorded."""

import datetime as dt

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings

from compliance.audit.models import AuditEvent
from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest, ExportPackage, Status
from compliance.dsar.tasks import dsar_export
from compliance.tasks import retention_apply
from provisioning.models import Person, SentEmail
from provisioning.services import persons
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db

# Now, not a fixed date: deactivated_at is the database's clock, which time-machine cannot move.
START = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def leaver(actor, user_name):
    person = persons.person_create(actor=actor, fields={"user_name": user_name})
    return persons.person_set_active(person=person, actor=actor, active=False)


def run_at(moment):
    with time_machine.travel(moment):
        return retention_apply.delay().get()


def test_a_leaver_is_anonymised_once_the_retention_period_has_passed(actor):
    with time_machine.travel(START):
        person = leaver(actor, "gone.person")

    assert run_at(START + dt.timedelta(days=89))["people_anonymised"] == 0
    assert run_at(START + dt.timedelta(days=91))["people_anonymised"] == 1

    assert Person.objects.get(pk=person.pk).user_name == f"erased-{person.pk.hex}"
    event = AuditEvent.objects.get(action="retention.applied")
    assert event.data["store"] == "people_anonymised"
    assert event.data["count"] == 1


def test_a_leaver_under_legal_hold_is_kept(actor):
    with time_machine.travel(START):
        person = leaver(actor, "held.person")
        services.legal_hold_place(actor=actor, person=person, reason="tribunal")

    assert run_at(START + dt.timedelta(days=200))["people_anonymised"] == 0
    assert Person.objects.get(pk=person.pk).user_name == "held.person"


def test_active_people_are_never_anonymised(actor):
    with time_machine.travel(START):
        person = persons.person_create(actor=actor, fields={"user_name": "still.here"})

    run_at(START + dt.timedelta(days=1000))

    assert Person.objects.get(pk=person.pk).user_name == "still.here"


def test_an_anonymised_leaver_is_not_erased_again(actor):
    with time_machine.travel(START):
        leaver(actor, "gone.person")
    run_at(START + dt.timedelta(days=91))

    assert run_at(START + dt.timedelta(days=92))["people_anonymised"] == 0


def test_sent_emails_are_deleted_after_a_year(actor):
    with time_machine.travel(START):
        old = SentEmail.objects.create(recipients=["a@example.org"], subject="s", body="b")
    with time_machine.travel(START + dt.timedelta(days=300)):
        recent = SentEmail.objects.create(recipients=["a@example.org"], subject="s", body="b")

    assert run_at(START + dt.timedelta(days=366))["emails_deleted"] == 1
    assert list(SentEmail.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SentEmail.objects.filter(pk=old.pk).exists()


def test_export_packages_and_their_files_are_deleted_after_their_retention(actor):
    with time_machine.travel(START):
        request = services.request_receive(
            actor=actor, regulation="gdpr", type="access", person=PersonEmailFactory().person
        )
        services.request_verify(actor=actor, request=request, method="sso")
        package = ExportPackage.objects.get(pk=dsar_export.delay(str(request.pk)).get())
    path = packages.package_path(package)

    assert run_at(START + dt.timedelta(days=29))["packages_deleted"] == 0
    assert run_at(START + dt.timedelta(days=31))["packages_deleted"] == 1
    assert not path.exists()


def test_closed_requests_are_kept_24_months_then_deleted(actor):
    with time_machine.travel(START):
        request = services.request_receive(
            actor=actor, regulation="ccpa", type="access", person=PersonEmailFactory().person
        )
        services.request_deny(actor=actor, request=request, basis="identity-unverified")
        still_open = services.request_receive(
            actor=actor, regulation="ccpa", type="access", person=PersonEmailFactory().person
        )

    two_years = START + relativedelta(months=24)
    assert run_at(two_years - dt.timedelta(days=1))["requests_deleted"] == 0
    assert run_at(two_years + dt.timedelta(days=1))["requests_deleted"] == 1
    assert list(DataSubjectRequest.objects.values_list("pk", flat=True)) == [still_open.pk]
    assert DataSubjectRequest.objects.get().status == Status.RECEIVED


def test_retention_runs_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["compliance.retention_apply"]
    assert entry["task"] == retention_apply.name
