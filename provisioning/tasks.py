"""Celery tasks: thin wrappers calling a service with a system actor."""

from celery import shared_task

from compliance.audit.actor import Actor
from provisioning.services import access, lifecycle, requests


@shared_task(name="provisioning.tasks.grants_expire")
def grants_expire() -> int:
    return access.grants_expire(actor=Actor.system("grants_expire"))


@shared_task(name="provisioning.tasks.grants_expiry_remind")
def grants_expiry_remind() -> int:
    return access.grants_expiry_remind(actor=Actor.system("grants_expiry_remind"))


@shared_task(name="provisioning.tasks.approvals_overdue")
def approvals_overdue() -> dict[str, int]:
    outcome = requests.approvals_overdue_process(actor=Actor.system("approvals_overdue"))
    return vars(outcome)


@shared_task(name="provisioning.tasks.offboardings_due")
def offboardings_due() -> int:
    return lifecycle.offboardings_due_run(actor=Actor.system("offboardings_due"))
