"""The load client: a fixed number of requests per scenario, at a fixed concurrency, over
loopback, bounded in count and in time. It records latency percentiles, throughput, SQL
queries per request (from the bench middleware's header), response bytes and errors.

A request that fails (any status of 400 or more, 501 included, a transport error, or a
response that does not do what the scenario asked) counts as an error, never as a latency.
"""

from __future__ import annotations

import asyncio
import json
import math
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.middleware import HEADER

SCIM_JSON = "application/scim+json"


@dataclass(frozen=True)
class Call:
    """One request, relative to a target's SCIM base URL."""

    method: str
    path: str
    body: dict[str, Any] | None = None


Check = Callable[[Any], bool]


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    group: int
    call: Callable[[int], Call]
    requests: int
    check: Check | None = None
    # Which targets serve it; the floor answers only the single lookups.
    targets: frozenset[str] = frozenset({"portal", "peer"})
    # The batch's own time limit, for requests that are long by design (/Bulk); None: the
    # run's limit.
    max_seconds: float | None = None


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str
    token: str

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://127.0.0.1:", "http://localhost:")):
            raise ValueError(f"the load client sends to loopback only, not {self.base_url}")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": SCIM_JSON}


@dataclass
class Measurement:
    requested: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    response_bytes: list[int] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0
    peak_memory_kib: int = 0
    stopped_by_time: bool = False
    cut: int = 0
    # CPU seconds the batch cost the target's workers, the load client and PostgreSQL.
    server_cpu_s: float | None = None
    client_cpu_s: float | None = None
    db_cpu_s: float | None = None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The percentile by linear interpolation between closest ranks (as numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    lower, upper = math.floor(position), math.ceil(position)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def cpu_ms_per_request(seconds: float | None, answered: int) -> float | None:
    """CPU milliseconds per request answered; None when nothing was answered or measured."""
    if seconds is None or not answered:
        return None
    return seconds * 1000 / answered


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summarize(measurement: Measurement) -> dict[str, Any]:
    """The figures a result file keeps for one scenario at one concurrency. Throughput counts
    completed requests only, over the wall time of the whole batch; CPU per request divides
    by every request answered, errors included, since an error costs CPU too."""
    completed = len(measurement.latencies_ms)
    errors = sum(measurement.errors.values())
    answered = completed + errors
    return {
        "requested": measurement.requested,
        "completed": completed,
        "errors": errors,
        "error_kinds": dict(sorted(measurement.errors.items())),
        "p50_ms": percentile(measurement.latencies_ms, 0.50),
        "p95_ms": percentile(measurement.latencies_ms, 0.95),
        "p99_ms": percentile(measurement.latencies_ms, 0.99),
        "rps": completed / measurement.wall_s if completed and measurement.wall_s else None,
        "queries_per_request": _mean(measurement.queries),
        "response_bytes": _mean(measurement.response_bytes),
        "peak_memory_kib": measurement.peak_memory_kib or None,
        "wall_s": measurement.wall_s,
        "stopped_by_time": measurement.stopped_by_time,
        "cut": measurement.cut,
        "server_cpu_ms": cpu_ms_per_request(measurement.server_cpu_s, answered),
        "client_cpu_ms": cpu_ms_per_request(measurement.client_cpu_s, answered),
        "db_cpu_ms": cpu_ms_per_request(measurement.db_cpu_s, answered),
    }


def failure(response: httpx.Response, check: Check | None) -> str | None:
    """Why an answer counts as an error, or None when it did what the scenario asked."""
    if response.status_code >= 400:
        return f"http {response.status_code}"
    if check is None:
        return None
    try:
        document = json.loads(response.content) if response.content else None
    except ValueError:
        return "not json"
    return None if check(document) else "wrong answer"


async def run_scenario(
    client: httpx.AsyncClient,
    target: Target,
    scenario: Scenario,
    *,
    concurrency: int,
    first_index: int,
    max_seconds: float,
    requests: int | None = None,
) -> Measurement:
    """Send `requests` requests (scenario.requests unless told), `concurrency` at a time,
    stopping early once max_seconds have passed. Call numbers start at first_index, so that
    calls that write (a new user, one more member) never repeat within a run."""
    requests = scenario.requests if requests is None else requests
    measurement = Measurement(requested=requests)
    next_number = 0
    client_cpu_started = client_cpu_seconds()
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        nonlocal next_number
        while next_number < requests:
            if time.perf_counter() >= deadline:
                measurement.stopped_by_time = True
                return
            number = first_index + next_number
            next_number += 1
            call = scenario.call(number)
            sent = time.perf_counter()
            try:
                response = await client.request(
                    call.method,
                    target.base_url + call.path,
                    headers=target.headers,
                    content=None if call.body is None else json.dumps(call.body),
                )
            except httpx.HTTPError as error:
                measurement.errors[type(error).__name__] += 1
                continue
            elapsed_ms = (time.perf_counter() - sent) * 1000
            problem = failure(response, scenario.check)
            if problem:
                measurement.errors[problem] += 1
                continue
            measurement.latencies_ms.append(elapsed_ms)
            measurement.response_bytes.append(len(response.content))
            if HEADER in response.headers:
                measurement.queries.append(int(response.headers[HEADER]))

    # Requests still unanswered well past the limit are cut, so that one slow target cannot
    # stretch the run: they count as neither a latency nor an error, only as cut.
    try:
        await asyncio.wait_for(
            asyncio.gather(*(worker() for _ in range(concurrency))), timeout=max_seconds * 2
        )
    except TimeoutError:
        measurement.stopped_by_time = True
        measurement.cut = (
            next_number - len(measurement.latencies_ms) - sum(measurement.errors.values())
        )
    measurement.wall_s = time.perf_counter() - started
    measurement.client_cpu_s = client_cpu_seconds() - client_cpu_started
    return measurement


def combined(parts: Sequence[Measurement]) -> Measurement:
    """The rounds of one batch as one measurement: their requests, answers, errors, wall
    time and CPU added up, their peak memory the highest."""

    def total(seconds: list[float | None]) -> float | None:
        known = [value for value in seconds if value is not None]
        return sum(known) if known else None

    whole = Measurement()
    for part in parts:
        whole.requested += part.requested
        whole.latencies_ms += part.latencies_ms
        whole.response_bytes += part.response_bytes
        whole.queries += part.queries
        whole.errors += part.errors
        whole.wall_s += part.wall_s
        whole.peak_memory_kib = max(whole.peak_memory_kib, part.peak_memory_kib)
        whole.stopped_by_time |= part.stopped_by_time
        whole.cut += part.cut
    whole.server_cpu_s = total([part.server_cpu_s for part in parts])
    whole.client_cpu_s = total([part.client_cpu_s for part in parts])
    whole.db_cpu_s = total([part.db_cpu_s for part in parts])
    return whole


def new_client(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        limits=limits,
        timeout=httpx.Timeout(300.0),
        headers={"Content-Type": SCIM_JSON},
        trust_env=False,
    )
