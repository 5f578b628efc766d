"""Done when: a subject who has every kind of data the portal can hold about them is
erased, and then no store holds any of their identifiers, in the clear or decryptable
with the keys that remain: both databases (pg_dump), the media folder, Redis.

The subject has SCIM-sourced attributes (the enterprise extension, a phone number, and
addresses the agreement drops), a manager and a report, an access request of their own
with its grant and the e-mails about it, a decision they gave as an approver from an
e-mailed link (their network address in the trail), a scheduled offboarding, and an
export package. Every marker is long and distinctive, so random ciphertext cannot
contain one by chance."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group as StaffRole
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from compliance.audit.chain import verify
from compliance.dsar import services as dsar
from compliance.dsar.models import ExportPackage
from compliance.dsar.tasks import dsar_export
from portal import roles
from provisioning.models import AccessGrant, Person, ScheduledOffboarding
from provisioning.services import lifecycle, persons
from provisioning.services.requests import access_request
from provisioning.services.scim_clients import scim_client_create, scim_token_issue
from tests.compliance.dsar.stores import residue
from tests.factories import PersonEmailFactory, PersonFactory, RoleFactory, StaffUserFactory
from tests.provisioning.approvals.conftest import link_to
from tests.provisioning.scim.conftest import ENTERPRISE, USER_SCHEMA, ScimBrowser

pytestmark = pytest.mark.django_db(transaction=True)

GIVEN = "Vantrellisandra"
FAMILY = "Quorbethwyckle"
NICK = "Vantrelliquo"
USER_NAME = "vantrellisandra.quorbethwyckle@vq-marker.example"
EMAIL = "v.quorbethwyckle.home@vq-marker.example"
EXTERNAL_ID = "entra-7f3a9c41-vantrell"
EMPLOYEE_NUMBER = "EMPNO-58127-QBW"
PHONE = "+44 20 7946 0588"
TITLE = "Archivist of the Quorbeth Rolls"
STREET = "17 Quorbethwyck Lane"
IP_ADDRESS = "198.51.100.173"
JUSTIFICATION = "Vantrellian quarterly close needs payroll"
COMMENT = "Approved, Quorbethian oversight applies"
LEAVING = "relocates to Munich; sick leave until Vantrellmarch"

MARKERS = [
    GIVEN,
    FAMILY,
    NICK,
    USER_NAME,
    EMAIL,
    EXTERNAL_ID,
    EMPLOYEE_NUMBER,
    PHONE,
    PHONE.replace(" ", ""),
    TITLE,
    STREET,
    IP_ADDRESS,
    JUSTIFICATION,
    COMMENT,
    LEAVING,
]


@pytest.fixture
def settled(django_capture_on_commit_callbacks):
    """Run what a change schedules for after its commit (its outbox relay), as a
    committed transaction would: the e-mails are sent and the tasks run."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


def scim_created(actor, boss):
    """Entra ID creates the subject, in drop mode: what the agreement leaves out (nickName,
    addresses) is dropped and only its name recorded."""
    client = scim_client_create(actor=actor, name="Entra ID", profile="directory", mode="drop")
    entra = ScimBrowser(scim_token_issue(client=client, actor=actor).secret, client)
    response = entra.post(
        "Users",
        {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": USER_NAME,
            "externalId": EXTERNAL_ID,
            "active": True,
            "displayName": f"{GIVEN} {FAMILY}",
            "nickName": NICK,
            "title": TITLE,
            "name": {"givenName": GIVEN, "familyName": FAMILY},
            "emails": [{"value": USER_NAME, "type": "work", "primary": True}],
            "phoneNumbers": [{"value": PHONE, "type": "work"}],
            "addresses": [{"type": "home", "streetAddress": STREET, "locality": "Munich"}],
            ENTERPRISE: {
                "employeeNumber": EMPLOYEE_NUMBER,
                "department": "Treasury",
                "manager": {"value": str(boss.pk)},
            },
        },
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 201, response.content
    return Person.objects.get(pk=response.json()["id"])


def decided_by_link(address, decision_comment, *, client_address="192.0.2.20"):
    """The approver opens the e-mailed link and decides, from their own address."""
    browser = Client(REMOTE_ADDR=client_address)
    path = link_to(address)
    response = browser.post(path, {"decision": "approve", "comment": decision_comment})
    assert response.status_code == 200, response.content


@pytest.fixture
def subject(actor, settled):
    for name in roles.ROLES:  # a transactional test before this one flushed the role rows
        StaffRole.objects.get_or_create(name=name)
    boss = PersonFactory(user_name="boss@example.org")
    PersonEmailFactory(person=boss, value="boss@example.org")
    person = settled(lambda: scim_created(actor, boss))
    persons.person_update(
        person=person,
        actor=actor,
        fields={"nick_name": NICK},
        emails=[persons.Contact(USER_NAME, primary=True), persons.Contact(EMAIL, "home")],
        phones=[persons.Contact(PHONE)],
    )
    report = PersonFactory(user_name="report@example.org", manager=person)
    owner = StaffUserFactory(username="owner", email="owner@example.org")
    requester = StaffUserFactory(username="requester", email="requester@example.org")
    role = RoleFactory(name="Payroll", owner=owner, max_duration=timedelta(days=30))

    def requested(for_whom, why):
        return access_request(
            person=for_whom,
            role=role,
            requested_by=requester,
            justification=why,
            duration=timedelta(days=14),
            actor=actor,
        )

    # Their own request: their manager, then the role owner approve; a grant follows.
    settled(lambda: requested(person, JUSTIFICATION))
    settled(lambda: decided_by_link("boss@example.org", "fine"))
    settled(lambda: decided_by_link("owner@example.org", "fine"))
    # Their report's request: they decide it as the approver, from their own address.
    settled(lambda: requested(report, "the report's own reasons"))
    settled(lambda: decided_by_link(USER_NAME, COMMENT, client_address=IP_ADDRESS))
    lifecycle.person_offboard(
        person=person,
        actor=actor,
        reason=LEAVING,
        effective_on=timezone.localdate() + timedelta(days=30),
    )
    export = dsar.request_receive(
        actor=actor, regulation="gdpr", type="access", person=person, identifiers={"email": EMAIL}
    )
    dsar.request_verify(actor=actor, request=export, method="sso")
    dsar_export.delay(str(export.pk))
    return person


def test_the_subject_has_every_kind_of_data_before_the_erasure(subject):
    assert AccessGrant.objects.filter(person=subject, status="active").exists()
    assert ScheduledOffboarding.objects.filter(person=subject, status="scheduled").exists()
    assert ExportPackage.objects.filter(person_id=subject.pk).exists()
    assert any(USER_NAME in message.to for message in mail.outbox)
    # The search does find the subject while they exist: every marker, somewhere.
    found = {marker for hits in residue(MARKERS).values() for marker in hits}
    assert found == set(MARKERS) - {PHONE.replace(" ", ""), STREET}


def test_after_the_erasure_no_store_holds_the_subject_in_clear_or_decryptable(subject):
    call_command("dsar", "erase", USER_NAME, stdout=io.StringIO())

    assert residue(MARKERS) == {}
    assert verify().ok
