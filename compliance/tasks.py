from celery import shared_task

from compliance import retention
from compliance.audit.actor import Actor
from compliance.audit.chain import verify
from compliance.dsar.tasks import dsar_erase, dsar_export

__all__ = ["dsar_erase", "dsar_export", "retention_apply", "verify_audit_chain"]


@shared_task(name="compliance.verify_audit_chain")
def verify_audit_chain() -> dict[str, int | str | None]:
    """Walk the audit chain; returns how many events verified and the first broken one."""
    result = verify()
    return {
        "verified": result.verified,
        "first_broken": result.first_broken,
        "reason": result.reason,
    }


@shared_task(name="compliance.retention_apply", acks_late=True)
def retention_apply() -> dict[str, int]:
    """The beat job: apply the inventory's retention periods."""
    return retention.retention_apply(actor=Actor.system("retention"))
