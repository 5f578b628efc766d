"""Log lines never carry the secret of a link sent by e-mail. The last part of an
approval, review, verification or download link's path is a bearer secret: Django logs a
refused one's path (django.request, "Gone: /privacy/download/…"), and runserver every
request's; whoever reads the logs could otherwise use one still alive."""

import logging
import re

# The links' paths (portal.urls): the segment after the prefix is the secret.
SECRET_LINK = re.compile(r"/(approvals|reviews|privacy/verify|privacy/download)/[^/\s\"'?]+")


class SecretLinkFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_LINK.sub(r"/\1/[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
