"""The pages a requester reaches from the portal's e-mails, without a login: the
verification page, where their POST of the one-time code verifies, and the download page,
where their POST downloads the export package. GET only shows the page: a mail scanner
opening the link changes nothing."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.dsar import services, verification
from compliance.dsar.downloads import links
from compliance.dsar.downloads.services import package_download_by_requester
from compliance.dsar.forms import CodeForm
from compliance.dsar.models import RequesterDownloadLink
from compliance.errors import PackageLinkError, VerificationError


@never_cache
@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = verification.challenge_from_token(token)
    except VerificationError as error:
        return _page(request, error=str(error), status=404)
    if refusal := verification.challenge_refusal(found, now=timezone.now()):
        return _page(request, error=refusal, status=410)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.challenge_answer(
                actor=Actor.system("requester", channel=Channel.EMAIL_LINK),
                challenge=found,
                code=form.cleaned_data["code"],
            )
        except VerificationError as error:
            form.add_error("code", str(error))
        else:
            return _page(request, done=True)
    return _page(request, form=form)


def _page(
    request: HttpRequest,
    *,
    form: CodeForm | None = None,
    error: str = "",
    done: bool = False,
    status: int = 200,
) -> HttpResponse:
    response = render(
        request,
        "compliance/dsar/challenge.html",
        {"form": form, "error": error, "done": done},
        status=status,
    )
    response["Referrer-Policy"] = "same-origin"  # the link is a credential
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = links.link_from_token(token)
    except PackageLinkError as error:
        status = 404 if str(error) == links.INVALID else 410  # gone: expired or deleted
        return _download_page(request, error=str(error), status=status)
    if refusal := links.link_refusal(link, now=timezone.now()):
        return _download_page(request, error=refusal, status=410)
    if request.method == "POST":
        try:
            package, content = package_download_by_requester(
                actor=Actor.system("requester", channel=Channel.EMAIL_LINK), link=link
            )
        except PackageLinkError as error:
            return _download_page(request, error=str(error), status=410)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="personal-data-{str(package.request_id)[:8]}.zip"'
        )
        return response
    return _download_page(request, link=link)


def _download_page(
    request: HttpRequest,
    *,
    link: RequesterDownloadLink | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "link": link,
        "package": link.package if link else None,
        "reference": str(link.package.request_id)[:8].upper() if link else "",
        "error": error,
        "privacy_contact": settings.ROPA_DPO_CONTACT,
    }
    response = render(request, "compliance/dsar/download.html", context, status=status)
    # The link is a credential: never sent to another site. Not "no-referrer", under which
    # the browser posts the download form with Origin: null and CSRF refuses it.
    response["Referrer-Policy"] = "same-origin"
    return response
