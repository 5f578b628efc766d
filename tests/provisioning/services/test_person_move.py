"""The mover: a change of job re-evaluates birthright templates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from provisioning.models import AccessGrant
from provisioning.services.access import grant_create
from provisioning.services.persons import person_create, person_update
from tests.factories import RoleFactory, RoleTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles():
    names = ("GitHub", "CRM", "Contractor portal")
    github, crm, portal = (RoleFactory(name=name) for name in names)
    RoleTemplateFactory(department="Engineering", roles=[github])
    RoleTemplateFactory(department="Sales", roles=[crm])
    return {"github": github, "crm": crm, "portal": portal}


@pytest.fixture
def engineer(actor, roles):
    return person_create(actor=actor, fields={"user_name": "ada", "department": "Engineering"})


def active_roles(person):
    return set(
        AccessGrant.objects.filter(person=person, status="active").values_list(
            "role__name", flat=True
        )
    )


def test_a_joiner_created_directly_gets_birthright(engineer):
    assert active_roles(engineer) == {"GitHub"}


def test_a_move_revokes_what_no_longer_matches_and_grants_what_now_does(actor, engineer):
    person_update(person=engineer, actor=actor, fields={"department": "Sales"}, reason="reorg")

    assert active_roles(engineer) == {"CRM"}
    revoked = AccessGrant.objects.get(person=engineer, role__name="GitHub")
    assert revoked.status == "revoked"
    assert "mover (department changed): reorg" in revoked.revocation_reason


def test_the_move_records_its_reason_on_every_grant_change(actor, engineer):
    person_update(person=engineer, actor=actor, fields={"department": "Sales"}, reason="reorg")

    for action in ("grant.revoked", "grant.created"):
        event = AuditEvent.objects.filter(action=action).latest("sequence")
        details = crypto.decrypt(event.subject_id, event.ciphertext)
        assert details is not None
        reason = details["reason"]
        assert reason.startswith("mover (department changed): reorg")


def test_grants_from_requests_stay_after_a_move(actor, engineer, roles):
    expiry = timezone.now() + timedelta(days=10)
    grant_create(
        person=engineer, role=roles["portal"], source="request", expires_at=expiry, actor=actor
    )

    person_update(person=engineer, actor=actor, fields={"department": "Sales"})

    assert active_roles(engineer) == {"CRM", "Contractor portal"}


def test_a_change_outside_the_job_attributes_changes_no_grant(actor, engineer):
    before = AuditEvent.objects.filter(action__startswith="grant.").count()

    person_update(person=engineer, actor=actor, fields={"nick_name": "A"})

    assert AuditEvent.objects.filter(action__startswith="grant.").count() == before
    assert active_roles(engineer) == {"GitHub"}
