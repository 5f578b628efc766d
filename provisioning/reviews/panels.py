"""The dashboard's access review panel: open reviews with their completion, in one query.
The portal's dashboard (portal.dashboard) declares it."""

from typing import Any

from django.http import HttpRequest

from provisioning.reviews.selectors import runs_open

SHOWN_RUNS = 8


def open_reviews_context(request: HttpRequest) -> dict[str, Any]:
    shown = list(runs_open()[: SHOWN_RUNS + 1])
    return {
        "runs": shown[:SHOWN_RUNS],
        "more": len(shown) > SHOWN_RUNS,
    }
