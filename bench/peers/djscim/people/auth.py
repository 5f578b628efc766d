"""A bearer token from settings: the peer's stand-in for an OAuth token store."""

import hmac

from django.conf import settings


class TokenUser:
    is_authenticated = True
    is_anonymous = False


class NoUser:
    is_authenticated = False
    is_anonymous = True


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        expected = f"Bearer {settings.BENCH_PEER_TOKEN}"
        request.user = TokenUser() if hmac.compare_digest(header, expected) else NoUser()
        return self.get_response(request)
