"""Verifying a requester's identity (GDPR Art. 12(6); CCPA regulations §7060-7063).

The degree of certainty follows §7062: matching two data points the portal holds gives a
*reasonable* degree, enough to disclose the categories of data held; three data points and
a signed declaration under penalty of perjury give a *reasonably high* degree, needed for
specific pieces of data (an export) and for deletion. Signing in through the company's
identity provider, or an HR check in person, is the existing authentication §7060(c)(2)
and §7062 allow, and counts as reasonably high.

One data point is the control of the address on file, proven by a one-time code: only
its hash is kept (Django's password hashers), it expires, and it allows few attempts.
"""

import secrets
from collections.abc import Collection
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core import signing

from compliance.dsar.models import (
    Certainty,
    DataPoint,
    DataSubjectRequest,
    RequestType,
    VerificationChallenge,
    VerificationMethod,
)
from compliance.errors import VerificationError

CODE_DIGITS = 6
CODE_VALID_FOR = timedelta(hours=48)
MAX_ATTEMPTS = 5
LINK_SALT = "compliance.dsar.challenge"
REASONABLE_POINTS = 2
REASONABLY_HIGH_POINTS = 3
# Existing authentication of the person: as sure as three data points and a declaration.
AUTHENTICATED = (VerificationMethod.SSO, VerificationMethod.HR_RECORD)


def code_new() -> tuple[str, str]:
    """A fresh one-time code and the hash to keep of it."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    return code, make_password(code)


def code_matches(challenge: VerificationChallenge, code: str) -> bool:
    return check_password("".join(code.split()), challenge.code_hash)


def challenge_link_token(challenge: VerificationChallenge) -> str:
    """The signed token of the requester's page; it names the challenge, not the code."""
    return signing.dumps(str(challenge.pk), salt=LINK_SALT, compress=False)


def challenge_from_token(token: str) -> VerificationChallenge:
    """The challenge a link names, while it can still be answered."""
    try:
        challenge_id = signing.loads(token, salt=LINK_SALT, max_age=CODE_VALID_FOR)
    except signing.BadSignature as error:
        raise VerificationError("This link is not valid or has expired.") from error
    challenge = VerificationChallenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        raise VerificationError("This link is not valid or has expired.")
    return challenge


def challenge_refusal(challenge: VerificationChallenge, *, now: object) -> str:
    """Why this challenge can no longer be answered, or "" if it can."""
    if challenge.passed_at is not None:
        return "This code was already used: the identity is verified."
    if challenge.withdrawn_at is not None:
        return "This code was replaced by a newer one, or too many wrong codes were entered."
    if challenge.expires_at <= now:  # type: ignore[operator]
        return "This code has expired; ask the privacy team for a new one."
    return ""


def certainty_of(
    *, method: str, data_points: Collection[str], declaration: bool
) -> Certainty | None:
    """The degree of certainty a verification reaches, or None below a reasonable one."""
    if method in AUTHENTICATED:
        return Certainty.REASONABLY_HIGH
    matched = len(set(data_points) & set(DataPoint.values))
    if matched >= REASONABLY_HIGH_POINTS and declaration:
        return Certainty.REASONABLY_HIGH
    if matched >= REASONABLE_POINTS:
        return Certainty.REASONABLE
    return None


def verification_problem(
    request: DataSubjectRequest, *, method: str, data_points: Collection[str], declaration: bool
) -> str:
    """Why these facts do not verify the requester, or "" if they do."""
    if (
        DataPoint.EMAIL_CONTROL in data_points
        and not request.challenges.filter(passed_at__isnull=False).exists()
    ):
        return "Control of the e-mail address counts only once the one-time code was entered."
    if method == VerificationMethod.EMAIL_CHALLENGE and DataPoint.EMAIL_CONTROL not in data_points:
        return "Send the one-time code and enter it before verifying by e-mail challenge."
    if method == VerificationMethod.AUTHORISED_AGENT:
        agent = getattr(request, "agent", None)
        if agent is None or not agent.proof_file:
            return "Record the agent and their signed permission first."
        if agent.consumer_confirmed_at is None:
            return "The consumer must confirm the agent's permission directly first (§7063)."
    if certainty_of(method=method, data_points=data_points, declaration=declaration) is None:
        return (
            "At least two data points must match the records for a reasonable degree of certainty."
        )
    return ""


NEEDS_REASONABLY_HIGH = {
    "export": "an export gives specific pieces of personal data",
    "erase": "deletion",
}


def step_blocked(request: DataSubjectRequest, step: str) -> str:
    """Why the verification so far does not allow this step, or "" if it does."""
    if step not in NEEDS_REASONABLY_HIGH or request.certainty == Certainty.REASONABLY_HIGH:
        return ""
    what = NEEDS_REASONABLY_HIGH[step]
    if request.type == RequestType.DELETION:
        what = NEEDS_REASONABLY_HIGH["erase"]
    return (
        f"Blocked: {what} needs a reasonably high degree of certainty (three matching data "
        f"points and a signed declaration, CCPA §7062); this request is verified to "
        f"{'a reasonable degree' if request.certainty else 'no degree yet'}. Verify again "
        f"with more data points."
    )
