"""The page an approver reaches from the e-mailed link. GET only shows the request (mail
scanners open links); the approver's POST from that page decides."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from provisioning.errors import ApprovalLinkError, GovernanceError, LinkInvalidError
from provisioning.models import Approval
from provisioning.selectors import approvals_decided_before
from provisioning.services import requests
from provisioning.services.approvals_links import link_open

DECISIONS = {"approve": True, "reject": False}


@never_cache
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, token: str) -> HttpResponse:
    try:
        approval = link_open(token)
    except ApprovalLinkError as error:
        return _problem(request, error)
    if request.method == "POST":
        choice = request.POST.get("decision", "")
        if choice not in DECISIONS:
            return _page(
                request, "approvals/decide.html", approval, error="Choose approve or reject."
            )
        try:
            approval = requests.approval_decide_by_link(
                token=token,
                approve=DECISIONS[choice],
                comment=request.POST.get("comment", "")[:2000],
                client_address=request.META.get("REMOTE_ADDR"),
            )
        except ApprovalLinkError as error:
            return _problem(request, error)
        except GovernanceError as error:
            return _page(request, "approvals/decide.html", approval, error=str(error), status=409)
        return _page(request, "approvals/decided.html", approval)
    return _page(request, "approvals/decide.html", approval)


def _page(
    request: HttpRequest, template: str, approval: Approval, *, error: str = "", status: int = 200
) -> HttpResponse:
    access_request = approval.request
    response = render(
        request,
        template,
        {
            "approval": approval,
            "request": access_request,
            "person": access_request.person,
            "role": access_request.role,
            "stages": access_request.approvals.values("stage").distinct().count(),
            "earlier": approvals_decided_before(approval),
            "error": error,
        },
        status=status,
    )
    # The link is a credential: never send it to another site. ("no-referrer" would also
    # make the browser send "Origin: null" on the decision's POST, which CSRF refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _problem(request: HttpRequest, error: ApprovalLinkError) -> HttpResponse:
    response = render(
        request,
        "approvals/link_problem.html",
        {"title": error.title, "message": str(error)},
        status=404 if isinstance(error, LinkInvalidError) else 410,
    )
    response["Referrer-Policy"] = "same-origin"
    return response
