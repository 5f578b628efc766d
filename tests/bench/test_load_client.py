import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.load import Call, Scenario, Target, run_scenario

ONE = b'{"totalResults": 1}'
TARGET = Target("peer", "http://127.0.0.1:9/scim/v2", "token")


def answer(request: httpx.Request) -> httpx.Response:
    number = int(request.url.params["n"])
    if number % 4 == 0:
        return httpx.Response(501)
    if number % 4 == 1:
        return httpx.Response(200, json={"totalResults": 0})
    return httpx.Response(200, content=ONE, headers={"X-Bench-Queries": str(number % 4)})


def run(requests: int, concurrency: int = 2):
    scenario = Scenario(
        "lookup", "lookup", 1, lambda n: Call("GET", f"/Users?n={n}"), requests,
        lambda document: document.get("totalResults") == 1,
    )  # fmt: skip

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            return await run_scenario(
                client, TARGET, scenario, concurrency=concurrency, first_index=0, max_seconds=30
            )

    # Playwright's sync API (the e2e tests, same session) leaves an event loop running in
    # the main thread, where asyncio.run refuses to start; a worker thread has none.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, go()).result()


def test_a_501_and_a_wrong_answer_count_as_errors_not_latencies():
    measurement = run(8)

    assert measurement.errors == {"http 501": 2, "wrong answer": 2}
    assert len(measurement.latencies_ms) == 4


def test_queries_and_bytes_come_from_the_answered_requests():
    measurement = run(8)

    assert sorted(measurement.queries) == [2, 2, 3, 3]
    assert set(measurement.response_bytes) == {len(ONE)}


def test_sends_exactly_the_requested_number_of_requests():
    measurement = run(13, concurrency=8)

    assert len(measurement.latencies_ms) + sum(measurement.errors.values()) == 13


def test_sends_the_share_it_is_given_numbered_from_the_first_index():
    seen = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(int(request.url.params["n"]))
        return httpx.Response(200, content=ONE)

    scenario = Scenario("lookup", "lookup", 1, lambda n: Call("GET", f"/Users?n={n}"), 900)

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
            return await run_scenario(
                client, TARGET, scenario, concurrency=2, first_index=300, max_seconds=30,
                requests=5,
            )  # fmt: skip

    with ThreadPoolExecutor(max_workers=1) as pool:
        measurement = pool.submit(asyncio.run, go()).result()

    assert sorted(seen) == [300, 301, 302, 303, 304]
    assert measurement.requested == 5
