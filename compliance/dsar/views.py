"""The page a requester reaches from the verification e-mail: GET shows the form (a mail
scanner opening the link changes nothing), the requester's POST of the code verifies."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.dsar import services, verification
from compliance.dsar.forms import CodeForm
from compliance.errors import VerificationError


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
