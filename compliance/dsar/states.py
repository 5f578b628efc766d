"""The life of a data-subject request, defined once: in which statuses each step is
possible, and the status it leads to. The services refuse a step the status does not
allow, the export and erasure engines move the request along it, and the admin offers
only the steps it allows."""

from compliance.dsar.models import DataSubjectRequest, RequestType, Status
from compliance.errors import RequestStateError

OPEN = (Status.RECEIVED, Status.VERIFIED, Status.RUNNING, Status.READY)
RUNNABLE = (Status.VERIFIED, Status.RUNNING, Status.READY)

# The statuses in which each step is possible.
ALLOWED: dict[str, tuple[Status, ...]] = {
    "acknowledge": OPEN,
    "verify": (Status.RECEIVED, Status.VERIFIED),  # again, to a higher certainty
    "extend": OPEN,
    # The privacy officer queues the export (again, if the person asks again) or the
    # erasure (not again once fulfilled); a running one may be queued again.
    "export": RUNNABLE,
    "erase": (Status.VERIFIED, Status.RUNNING),
    # A task picks the request up, or resumes it after a crash or a requeue.
    "start": RUNNABLE,
    "fulfil": (Status.RUNNING,),
    "deny": (Status.RECEIVED, Status.VERIFIED, Status.READY),
    "close": (Status.VERIFIED, Status.READY),
    # The rights beyond access and erasure (compliance.dsar.rights.services) are fulfilled
    # in one step. The CCPA choices need no verified identity (regulations §7026(d),
    # §7027(e)); the others do.
    "correct": (Status.VERIFIED,),
    "restrict": (Status.VERIFIED,),
    "decide-objection": (Status.VERIFIED,),
    "record-choice": (Status.RECEIVED, Status.VERIFIED),
    # After an upheld objection, what follows is a request of its own.
    "follow-up": (Status.READY, Status.CLOSED),
    # A restriction outlives its request: it is lifted from the request, even closed.
    "lift-restriction": (Status.READY, Status.CLOSED),
}

# The step that fulfils a request of each type.
FULFILS: dict[str, str] = {
    RequestType.ACCESS: "export",
    RequestType.PORTABILITY: "export",
    RequestType.DELETION: "erase",
    RequestType.CORRECTION: "correct",
    RequestType.RESTRICTION: "restrict",
    RequestType.OBJECTION: "decide-objection",
    RequestType.SALE_OPT_OUT: "record-choice",
    RequestType.LIMIT_SENSITIVE: "record-choice",
}

# Where the steps that change the status lead; the others leave it as it is.
LEADS_TO: dict[str, Status] = {
    "verify": Status.VERIFIED,
    "start": Status.RUNNING,
    "fulfil": Status.READY,
    "correct": Status.READY,
    "restrict": Status.READY,
    "decide-objection": Status.READY,
    "record-choice": Status.READY,
    "deny": Status.CLOSED,
    "close": Status.CLOSED,
}


def request_locked(request: DataSubjectRequest, *, step: str) -> DataSubjectRequest:
    """The request read again and locked for the rest of the transaction, if its status
    allows the step; RequestStateError otherwise."""
    locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in ALLOWED[step]:
        raise RequestStateError(
            f"this step is not possible while the request is {locked.get_status_display().lower()}"
        )
    return locked
