"""Findings in the admin: grouped, described in words, and triaged by the privacy officer
into a breach (the 72-hour clock starts at triage), not a breach (with a reason), or part
of a breach already open. Then the breach's Art. 33(3) and 34 record."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.incidents.models import Incident
from compliance.incidents.rules import rules_evaluate
from compliance.incidents.services import finding_raise, finding_triage_breach
from portal import roles
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

FINDINGS = reverse("admin:compliance_finding_changelist")
BREACHES = reverse("admin:compliance_breach_changelist")
FOUND = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Stage = Incident.Stage


def triage_url(finding):
    return reverse("admin:compliance_finding_triage", args=[finding.pk])


def describe_url(breach):
    return reverse("admin:compliance_breach_describe", args=[breach.pk])


def found(actor, *, kind=Incident.Kind.MASS_DEPROVISIONING, key="", at=FOUND):
    with time_machine.travel(at, tick=False):
        finding, _ = finding_raise(
            kind=kind, summary=f"{kind.label} {key}", details={}, actor=actor, dedupe_key=key
        )
    return finding


@pytest.fixture
def officer(staff_client_for):
    return staff_client_for(roles.PRIVACY_OFFICER)


def test_triage_into_a_breach_starts_the_clock_at_triage_not_detection(actor, officer):
    client, user = officer
    finding = found(actor)
    triaged = FOUND + timedelta(hours=30)

    with time_machine.travel(triaged, tick=False):
        response = client.post(
            triage_url(finding), {"outcome": "breach", "reason": "Accounts were wiped."}
        )

    assert response.status_code == 302
    breach = Incident.objects.get(pk=finding.pk)
    assert breach.stage == Stage.BREACH
    assert breach.aware_at == triaged
    assert breach.notification_deadline == triaged + timedelta(hours=72)
    assert breach.triaged_by == user
    event = AuditEvent.objects.get(action=Action.FINDING_TRIAGED)
    assert event.data["outcome"] == "breach"
    assert event.data["deadline"] == (triaged + timedelta(hours=72)).isoformat()
    assert client.get(BREACHES).content.decode().count("incident-countdown") == 1


def test_not_a_breach_needs_a_reason_and_closes_the_finding(actor, officer):
    client, _ = officer
    finding = found(actor)

    refused = client.post(triage_url(finding), {"outcome": "not-breach", "reason": " "})
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "reason": ["Say why this is not a personal-data breach."]
    }

    client.post(triage_url(finding), {"outcome": "not-breach", "reason": "A planned re-org."})

    finding.refresh_from_db()
    assert (finding.stage, finding.status) == (Stage.NOT_BREACH, Incident.Status.CLOSED)
    assert finding.triage_reason == "A planned re-org."
    assert finding.aware_at is None
    assert not client.get(BREACHES).context["cl"].result_count


def test_a_finding_merged_into_an_open_breach_leaves_its_clock_alone(actor, officer):
    client, _ = officer
    with time_machine.travel(FOUND, tick=False):
        breach = finding_triage_breach(finding=found(actor, key="first"), actor=actor)
    later = found(actor, kind=Incident.Kind.SCIM_AUTH_FAILURES, at=FOUND + timedelta(hours=5))

    response = client.post(triage_url(later), {"outcome": "merge", "breach": str(breach.pk)})

    assert response.status_code == 302
    later.refresh_from_db()
    assert (later.stage, later.merged_into_id) == (Stage.MERGED, breach.pk)
    breach.refresh_from_db()
    assert breach.aware_at == FOUND
    page = client.get(reverse("admin:compliance_breach_change", args=[breach.pk]))
    assert reverse("admin:compliance_finding_change", args=[later.pk]) in page.content.decode()


def test_merging_needs_a_breach(actor, officer):
    client, _ = officer
    finding = found(actor)

    response = client.post(triage_url(finding), {"outcome": "merge"})

    assert response.context["form"].errors == {"breach": ["Choose the breach it is part of."]}


def test_a_triaged_finding_is_not_triaged_twice(actor, officer):
    client, _ = officer
    finding = found(actor)
    client.post(triage_url(finding), {"outcome": "breach"})

    response = client.post(triage_url(finding), {"outcome": "not-breach", "reason": "oops"})

    assert response.context["form"].non_field_errors() == ["This finding has already been triaged."]
    assert Incident.objects.get().stage == Stage.BREACH


def test_the_auditor_reads_findings_but_cannot_triage(actor, staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    finding = found(actor)

    assert client.get(FINDINGS).status_code == 200
    assert client.post(triage_url(finding), {"outcome": "breach"}).status_code == 403
    assert Incident.objects.get().stage == Stage.FINDING


@pytest.mark.parametrize("role", [roles.HR, roles.IT, roles.APPROVER])
def test_other_roles_see_no_findings(staff_client_for, role):
    client, _ = staff_client_for(role)

    assert client.get(FINDINGS).status_code == 403


def manual_grant(staff_actor: Actor, person) -> None:
    event_record(
        actor=staff_actor,
        action=Action.GRANT_CREATED,
        target=("provisioning.accessgrant", str(uuid.uuid4())),
        subject_id=str(person.pk),
        data={"source": "manual"},
    )


def test_hand_made_grants_are_one_finding_read_with_names_and_links(officer):
    client, user = officer
    granter = Actor.staff(user)
    ada, bob = PersonFactory(display_name="Ada Lovelace"), PersonFactory(display_name="Bob Ray")
    manual_grant(granter, ada)
    rules_evaluate(actor=granter)
    manual_grant(granter, bob)
    rules_evaluate(actor=granter)

    (finding,) = Incident.objects.filter(kind=Incident.Kind.ACCESS_OUTSIDE_PROCESS)
    page = client.get(reverse("admin:compliance_finding_change", args=[finding.pk]))
    text = page.content.decode()

    assert finding.occurrences == 2
    assert f"staff member {user.username}" in text
    assert "Ada Lovelace" in text
    assert "Bob Ray" in text
    grant_event = AuditEvent.objects.filter(action=Action.GRANT_CREATED).first()
    assert reverse("admin:compliance_auditevent_change", args=[grant_event.pk]) in text
    assert "grant_ids" not in text  # no raw JSON
    assert reverse("admin:compliance_finding_triage", args=[finding.pk]) in text


def test_the_findings_list_reads_a_fixed_number_of_queries(
    actor, officer, django_assert_max_num_queries
):
    client, _ = officer
    for key in range(30):
        found(actor, key=f"k{key}")

    with django_assert_max_num_queries(12):
        response = client.get(FINDINGS)

    assert response.context["cl"].result_count == 30


def test_the_breaches_list_reads_a_fixed_number_of_queries(
    actor, officer, django_assert_max_num_queries
):
    client, _ = officer
    for key in range(30):
        finding_triage_breach(finding=found(actor, key=f"k{key}"), actor=actor)

    with django_assert_max_num_queries(12):
        response = client.get(BREACHES)

    assert response.context["cl"].result_count == 30


DESCRIPTION = {
    "nature": "Confidentiality: a staff member granted admin access to 12 people by hand.",
    "subject_categories": "Employees",
    "subjects_approx": "12",
    "record_categories": "Names, work e-mail, salary band",
    "records_approx": "12",
    "consequences": "Colleagues could read salary bands.",
    "measures": "Grants revoked; access logs reviewed.",
    "dpo_contact": "dpo@widgets.test",
    "subjects_informed": "",
    "subjects_informed_at": "",
    "subjects_informed_how": "",
    "subjects_not_informed_reason": "",
}


@pytest.fixture
def breach(actor):
    return finding_triage_breach(finding=found(actor), actor=actor)


def test_the_breach_records_what_art_33_3_asks(breach, officer):
    client, _ = officer

    response = client.post(describe_url(breach), DESCRIPTION)

    assert response.status_code == 302
    breach.refresh_from_db()
    assert (breach.subjects_approx, breach.records_approx) == (12, 12)
    assert breach.measures == "Grants revoked; access logs reviewed."
    event = AuditEvent.objects.get(action=Action.BREACH_DESCRIBED)
    assert "salary" not in str(event.data)  # free text stays on the breach
    assert "measures" in event.data["changed"]


def test_the_dpo_contact_starts_from_the_records_of_processing(actor, settings):
    settings.ROPA_DPO_CONTACT = "dpo@widgets.test"

    breach = finding_triage_breach(finding=found(actor), actor=actor)

    assert breach.dpo_contact == "dpo@widgets.test"


def test_telling_the_subjects_needs_when_and_how(breach, officer):
    client, _ = officer

    response = client.post(describe_url(breach), {**DESCRIPTION, "subjects_informed": "informed"})

    assert response.context["form"].errors == {"subjects_informed_at": ["Say when they were told."]}


def test_not_telling_the_subjects_needs_the_art_34_3_ground(breach, officer):
    client, _ = officer

    response = client.post(
        describe_url(breach), {**DESCRIPTION, "subjects_informed": "not-informed"}
    )

    assert response.context["form"].errors == {
        "subjects_not_informed_reason": ["Say which ground of Art. 34(3) applies."]
    }


def test_the_communication_to_the_subjects_is_recorded(breach, officer):
    client, _ = officer
    told = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")

    client.post(
        describe_url(breach),
        {
            **DESCRIPTION,
            "subjects_informed": "informed",
            "subjects_informed_at": told,
            "subjects_informed_how": "E-mail to each person affected, with advice.",
        },
    )

    breach.refresh_from_db()
    assert breach.subjects_informed == Incident.SubjectsInformed.INFORMED
    assert breach.subjects_informed_at is not None
    page = client.get(reverse("admin:compliance_breach_change", args=[breach.pk]))
    assert "E-mail to each person affected" in page.content.decode()
