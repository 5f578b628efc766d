"""Celery tasks: thin wrappers calling a service with a system actor."""

from celery import shared_task
from django.contrib.auth import get_user_model

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.outbox.consumer import OutboxTask
from provisioning.services import access, approvals_routing, lifecycle, review_decisions, reviews


@shared_task(name="provisioning.tasks.grants_expire")
def grants_expire() -> int:
    return access.grants_expire(actor=Actor.system("grants_expire"))


@shared_task(name="provisioning.tasks.grants_expiry_remind")
def grants_expiry_remind() -> int:
    return access.grants_expiry_remind(actor=Actor.system("grants_expiry_remind"))


@shared_task(name="provisioning.tasks.approvals_overdue")
def approvals_overdue() -> dict[str, int]:
    outcome = approvals_routing.approvals_overdue_process(actor=Actor.system("approvals_overdue"))
    return vars(outcome)


@shared_task(name="provisioning.tasks.offboardings_due")
def offboardings_due() -> int:
    return lifecycle.offboardings_due_run(actor=Actor.system("offboardings_due"))


@shared_task(name="provisioning.tasks.onboardings_due")
def onboardings_due() -> int:
    return lifecycle.onboardings_due_run(actor=Actor.system("onboardings_due"))


@shared_task(name="provisioning.tasks.reviews_deadline")
def reviews_deadline() -> dict[str, int]:
    """Apply each overdue access review's rule to what its reviewers left undecided."""
    outcome = review_decisions.reviews_deadline_process(actor=Actor.system("reviews_deadline"))
    return vars(outcome)


@shared_task(name="provisioning.tasks.reviews_remind")
def reviews_remind() -> int:
    return review_decisions.reviews_remind(actor=Actor.system("reviews_remind"))


@shared_task(name="provisioning.tasks.campaigns_recurring")
def campaigns_recurring() -> int:
    """Start the recurring access review campaigns that are due."""
    return len(reviews.campaigns_due_start(actor=Actor.system("campaigns_recurring")))


@shared_task(name="provisioning.tasks.template_reapply", base=OutboxTask)
def template_reapply(template_id: str, staff_user_id: int) -> dict[str, int]:
    """Apply a changed template to everyone it concerns, as the staff member who asked."""
    from provisioning.models import RoleTemplate

    change = access.template_reapply(
        template=RoleTemplate.objects.get(pk=template_id),
        actor=Actor.staff(get_user_model().objects.get(pk=staff_user_id), channel=Channel.ADMIN),
    )
    return {"granted": len(change.granted), "revoked": change.revoked}
