"""The page a reviewer reaches from the e-mailed link. GET only shows their items (mail
scanners open links), a page at a time; a POST from the page decides one item, or many
at once after a confirmation."""

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from provisioning.errors import ApprovalLinkError, LinkInvalidError, ReviewDecisionError
from provisioning.models import ReviewAssignment, ReviewItem
from provisioning.reviews.forms import BulkDecisionForm, ItemDecisionForm
from provisioning.reviews.selectors import items_for_review
from provisioning.services.review_decisions import review_decide_by_link
from provisioning.services.review_links import review_link_open

PAGE_SIZE = 500


@never_cache
@require_http_methods(["GET", "POST"])
def items(request: HttpRequest, token: str) -> HttpResponse:
    try:
        assignment = review_link_open(token)
    except ApprovalLinkError as error:
        return _problem(request, error)
    if request.method == "GET":
        return _page(request, assignment)
    if request.POST.get("bulk"):
        return _bulk(request, token, assignment)
    form = ItemDecisionForm(request.POST)
    if not form.is_valid():
        return _page(request, assignment, error=_first_error(form), status=400)
    return _decide(request, token, assignment, form.decisions())


def _bulk(request: HttpRequest, token: str, assignment: ReviewAssignment) -> HttpResponse:
    pending = list(
        assignment.items.filter(decision=ReviewItem.Decision.PENDING).values_list("pk", flat=True)
    )
    form = BulkDecisionForm(request.POST, pending=pending)
    if not form.is_valid():
        return _page(request, assignment, error=_first_error(form), status=400)
    if not form.cleaned_data["confirm"]:
        chosen = items_for_review(assignment).filter(pk__in=form.cleaned_data["items"])
        return _respond(
            request,
            "reviews/confirm.html",
            {"assignment": assignment, "form": form, "chosen": chosen},
        )
    return _decide(request, token, assignment, form.decisions())


def _decide(
    request: HttpRequest, token: str, assignment: ReviewAssignment, decisions: list[Any]
) -> HttpResponse:
    try:
        decided = review_decide_by_link(
            token=token, decisions=decisions, client_address=request.META.get("REMOTE_ADDR")
        )
    except ApprovalLinkError as error:
        return _problem(request, error)
    except ReviewDecisionError as error:
        return _page(request, assignment, error=str(error), status=409)
    return _page(request, assignment, done=len(decided))


def _first_error(form: Any) -> str:
    return str(next(iter(form.errors.values()))[0])


def _page(
    request: HttpRequest,
    assignment: ReviewAssignment,
    *,
    error: str = "",
    done: int = 0,
    status: int = 200,
) -> HttpResponse:
    queryset = items_for_review(assignment)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return _respond(
        request,
        "reviews/items.html",
        {
            "assignment": assignment,
            "run": assignment.run,
            "campaign": assignment.run.campaign,
            "page_obj": page,
            "error": error,
            "done": done,
        },
        status=status,
    )


def _respond(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    # The link is a credential: never send it to another site (see the approval pages).
    response["Referrer-Policy"] = "same-origin"
    return response


def _problem(request: HttpRequest, error: ApprovalLinkError) -> HttpResponse:
    return _respond(
        request,
        "reviews/link_problem.html",
        {"title": error.title, "message": str(error)},
        status=404 if isinstance(error, LinkInvalidError) else 410,
    )
