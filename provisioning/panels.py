"""What the access-governance panels of the dashboard show: approvals waiting for a
decision, and grants about to expire. Counted in SQL; the lists are capped. The portal's
dashboard (portal.dashboard) declares the panels and calls these."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from provisioning import selectors
from provisioning.models import Approval

SHOWN_GRANTS = 8
EXPIRING_WITHIN = timedelta(days=7)


def pending_approvals_context(request: HttpRequest) -> dict[str, Any]:
    """How many approvals wait (in all, and addressed to the viewer) and the oldest one."""
    email = getattr(request.user, "email", "") or ""
    pending = Approval.objects.filter(decision=Approval.Decision.PENDING)
    counts = pending.aggregate(
        total=Count("pk"),
        # A staff member without an address has none addressed to them (none is blank).
        yours=Count("pk", filter=Q(approver_email__iexact=email)),
    )
    oldest = pending.select_related("request__person", "request__role").order_by("created").first()
    return {"total": counts["total"], "yours": counts["yours"], "oldest": oldest}


def grants_expiring_context(request: HttpRequest) -> dict[str, Any]:
    expiring = selectors.grants_expiring(within=EXPIRING_WITHIN, now=timezone.now())
    shown = list(expiring[: SHOWN_GRANTS + 1])
    return {
        "grants": shown[:SHOWN_GRANTS],
        "more": len(shown) > SHOWN_GRANTS,
        "total": expiring.count() if len(shown) > SHOWN_GRANTS else len(shown),
    }
