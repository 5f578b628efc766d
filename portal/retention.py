"""Retention of staff accounts, registered with compliance's retention job in
PortalConfig.ready(): an account deactivated longer ago than the inventory's retention
for staff has its name and e-mail address cleared and its username replaced. The row
stays, because the records a member of staff decided (closed breaches, requests) point to
it; the audit trail keeps the username its events were recorded under."""

from datetime import datetime

from django.db.models import Max

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from compliance.retention import CHUNK, cutoff, retention_rule_register
from portal.models import StaffUser

FORMER = "former-staff-"


def staff_anonymise(*, actor: Actor, now: datetime) -> int:
    """Clear the accounts deactivated before the cutoff, judged by their latest
    deactivation in the audit trail, CHUNK accounts at a time."""
    deadline = cutoff(StaffUser._meta.label, now)
    inactive = StaffUser.objects.filter(is_active=False).exclude(username__startswith=FORMER)
    anonymised, after = 0, 0
    while chunk := list(
        inactive.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:CHUNK]
    ):
        after = chunk[-1]
        deactivated = (
            AuditEvent.objects.filter(
                action=Action.STAFF_DEACTIVATED,
                target_type=StaffUser._meta.label_lower,
                target_id__in=[str(pk) for pk in chunk],
            )
            .values("target_id")
            .annotate(last=Max("occurred_at"))
        )
        due = [int(row["target_id"]) for row in deactivated if row["last"] < deadline]
        for pk in due:
            anonymised += StaffUser.objects.filter(pk=pk).update(
                username=f"{FORMER}{pk}", first_name="", last_name="", email=""
            )
    return anonymised


def register() -> None:
    retention_rule_register("staff_anonymised", staff_anonymise, enforces={StaffUser._meta.label})
