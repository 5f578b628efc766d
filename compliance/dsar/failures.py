"""Failed steps of requests, said in words: a downstream application that did not erase
the person (the receipt records "failed" and the engine moves on, so that one application
down does not hold up the rest). The request page and the dashboard warn of them."""

from collections.abc import Iterable
from typing import Any

from compliance.dsar.models import DataSubjectRequest, ErasureStep
from compliance.dsar.states import OPEN


def step_failures(result: dict[str, Any]) -> list[str]:
    """What failed in one eraser's answer, one sentence each."""
    return [
        f"Erasing the account in {answer.get('application', 'a downstream application')} "
        f"failed ({answer.get('detail') or 'no answer'})."
        for answer in result.get("downstream", [])
        if isinstance(answer, dict) and answer.get("outcome") == "failed"
    ]


def failed_steps(steps: Iterable[ErasureStep]) -> list[ErasureStep]:
    return [step for step in steps if step_failures(step.result)]


def request_failures(request: DataSubjectRequest) -> list[str]:
    """The warnings to show on a request's page."""
    steps = ErasureStep.objects.filter(erasure__request=request)
    return [warning for step in steps for warning in step_failures(step.result)]


def open_requests_with_failures() -> int:
    """How many open requests have a failed step, for the dashboard: one query over the
    steps of open requests' erasures (a handful), checked here rather than in SQL so it
    works on SQLite too."""
    steps = ErasureStep.objects.filter(
        erasure__request__status__in=OPEN, eraser__startswith="downstream"
    ).values_list("erasure__request_id", "result")
    return len({request_id for request_id, result in steps if step_failures(result)})
