"""Done when: after `dsar erase`, a complete dump of the database holds none of the
subject's identifiers, only keyed hashes, and the audit chain still verifies. Every
identifier is long and distinctive: a short one ("Zephy") once matched random ciphertext
in the dump, case ignored. The search of every store: test_erasure_all_stores.py."""

import io

import pytest
from django.contrib.auth.models import Group as StaffRole
from django.core.management import call_command

from compliance.audit.chain import verify
from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest
from compliance.dsar.tasks import dsar_export
from portal import roles
from provisioning.models import Person, SentEmail
from provisioning.services import persons
from tests.compliance.dsar.stores import database_dump

pytestmark = pytest.mark.django_db(transaction=True)

DISTINCTIVE = {
    "user_name": "zephyrine.quillfeather",
    "given_name": "Zephyrine",
    "middle_name": "Orielwyndham",
    "family_name": "Quillfeather",
    "display_name": "Zephyrine Quillfeather",
    "nick_name": "Zephyquillette",
    "external_id": "ZQ-EXT-88412",
    "employee_number": "EMPNO-55107",
}
EMAIL = "zephyrine.q@quill.example"
PHONE = "+1 415 555 0199"


def test_after_dsar_erase_no_dump_holds_the_subjects_identifiers(actor, tmp_path):
    for role in roles.ROLES:  # a transactional test before this one flushed the role rows
        StaffRole.objects.get_or_create(name=role)
    call_command("seed_demo", stdout=io.StringIO())
    person = Person.objects.order_by("user_name").first()
    persons.person_update(
        person=person,
        actor=actor,
        fields={key: value for key, value in DISTINCTIVE.items() if key != "user_name"},
        emails=[persons.Contact(EMAIL, primary=True)],
        phones=[persons.Contact(PHONE, "mobile")],
    )
    old_user_name = person.user_name
    persons.person_update(
        person=person, actor=actor, fields={"user_name": DISTINCTIVE["user_name"]}
    )
    SentEmail.objects.create(
        recipients=[EMAIL], subject="Welcome Zephyrine", body="Hi Zephyquillette"
    )
    export = services.request_receive(
        actor=actor,
        regulation="gdpr",
        type="access",
        person=person,
        identifiers={"email": EMAIL},
    )
    services.request_verify(actor=actor, request=export, method="sso")
    dsar_export.delay(str(export.pk))
    before = database_dump("default")
    assert DISTINCTIVE["external_id"] in before  # the dump does see the person

    out = io.StringIO()
    call_command("dsar", "erase", DISTINCTIVE["user_name"], stdout=out)

    main, keys = database_dump("default"), database_dump("keys")
    identifiers = [*DISTINCTIVE.values(), old_user_name, EMAIL, PHONE, PHONE.replace(" ", "")]
    for identifier in identifiers:
        assert identifier.lower() not in main.lower(), identifier
        assert identifier.lower() not in keys.lower(), identifier
    kept = DataSubjectRequest.objects.filter(person=person)
    assert kept.count() == 2
    assert all(request.identifier_hashes for request in kept)
    assert verify().ok
