"""Each request keeps the subject keys it uses until it ends, and no longer
(crypto.subject_keys_scope): a write that records several events about one person reads
their key once, and no key survives into another request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from compliance.audit.crypto import subject_keys_scope


class SubjectKeysMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with subject_keys_scope():
            return self.get_response(request)
