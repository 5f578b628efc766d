"""What the stored copy of an e-mail may keep. The message itself goes out whole; the copy
kept for the data subject's export and for support keeps what the e-mail said, not the
keys it carried: an approval link (or any other signed token) in a stored body would be a
live credential in every database dump and every export package that holds it."""

import re
from functools import cache

from django.urls import reverse

APPROVAL_LINK_REMOVED = "[approval link removed]"
SIGNED_LINK_REMOVED = "[signed link removed]"
SIGNED_TOKEN_REMOVED = "[signed token removed]"  # noqa: S105 (a placeholder, not a secret)

# django.core.signing's shape, whatever the salt: value:timestamp:signature, the signature
# an unpadded urlsafe-base64 HMAC-SHA256 (43 characters). The value may be a compressed
# payload (a leading dot) or a plain id such as a package's UUID.
_SIGNED = r"[\w.\-]+:[0-9A-Za-z]+:[\w\-]{43}"
SIGNED_TOKEN = re.compile(_SIGNED)
# A link (absolute, or a path) with a signed token in it, up to the next white space.
SIGNED_LINK = re.compile(rf"(?:\b[a-z][a-z0-9+.\-]*://|/)[^\s]*?{_SIGNED}[^\s]*", re.IGNORECASE)


@cache
def _approval_prefix() -> str:
    # The path of the approval page with its token cut off: every approval link has it.
    return reverse("approvals:decide", kwargs={"token": "t"}).removesuffix("t/")


def email_body_redact(text: str) -> str:
    """The text with every approval link, every other link carrying a signed token and
    every bare signed token replaced by a placeholder saying what was there."""

    def link(match: re.Match[str]) -> str:
        if _approval_prefix() in match[0]:
            return APPROVAL_LINK_REMOVED
        return SIGNED_LINK_REMOVED

    return SIGNED_TOKEN.sub(SIGNED_TOKEN_REMOVED, SIGNED_LINK.sub(link, text))
