from collections import Counter

import pytest

from bench.load import (
    Measurement,
    Target,
    combined,
    cpu_ms_per_request,
    percentile,
    summarize,
)


def test_percentile_interpolates_between_closest_ranks():
    values = [float(v) for v in range(1, 101)]  # 1..100

    assert percentile(values, 0.50) == pytest.approx(50.5)
    assert percentile(values, 0.95) == pytest.approx(95.05)
    assert percentile(values, 0.99) == pytest.approx(99.01)


def test_percentile_of_one_value_is_that_value():
    assert percentile([7.0], 0.99) == 7.0


def test_percentile_of_nothing_is_none():
    assert percentile([], 0.5) is None


def test_summary_counts_throughput_over_wall_time_of_completed_requests_only():
    measurement = Measurement(
        requested=12,
        latencies_ms=[10.0, 20.0, 30.0, 40.0],
        response_bytes=[100, 300, 100, 300],
        queries=[2, 2, 3, 3],
        errors=Counter({"http 501": 8}),
        wall_s=2.0,
        peak_memory_kib=4096,
    )

    summary = summarize(measurement)

    assert summary["rps"] == 2.0
    assert summary["completed"] == 4
    assert summary["errors"] == 8
    assert summary["error_kinds"] == {"http 501": 8}
    assert summary["p50_ms"] == 25.0
    assert summary["queries_per_request"] == 2.5
    assert summary["response_bytes"] == 200
    assert summary["peak_memory_kib"] == 4096


def test_summary_of_a_scenario_that_only_failed_has_no_latency_or_throughput():
    summary = summarize(Measurement(requested=3, errors=Counter({"http 501": 3}), wall_s=1.0))

    assert summary["p50_ms"] is None
    assert summary["rps"] is None
    assert summary["errors"] == 3


def test_cpu_per_request_divides_by_every_request_answered_errors_included():
    measurement = Measurement(
        requested=10,
        latencies_ms=[5.0] * 6,
        errors=Counter({"http 501": 2}),
        wall_s=1.0,
        server_cpu_s=0.04,
        client_cpu_s=0.008,
        db_cpu_s=0.016,
    )

    summary = summarize(measurement)

    assert summary["server_cpu_ms"] == pytest.approx(5.0)
    assert summary["client_cpu_ms"] == pytest.approx(1.0)
    assert summary["db_cpu_ms"] == pytest.approx(2.0)


def test_cpu_per_request_is_none_when_nothing_was_answered():
    assert cpu_ms_per_request(0.5, 0) is None


def test_cpu_per_request_is_none_when_it_was_not_measured():
    assert (
        summarize(Measurement(requested=1, latencies_ms=[1.0], wall_s=1.0))["server_cpu_ms"] is None
    )


def test_load_client_refuses_a_target_off_loopback():
    with pytest.raises(ValueError, match="loopback"):
        Target("portal", "http://example.org/scim/v2", "token")


def test_rounds_combine_into_one_batch():
    first = Measurement(
        requested=3, latencies_ms=[10.0, 30.0], errors=Counter({"http 501": 1}), wall_s=1.0,
        peak_memory_kib=500, server_cpu_s=0.03, client_cpu_s=0.01, db_cpu_s=None,
    )  # fmt: skip
    second = Measurement(
        requested=3, latencies_ms=[20.0, 40.0, 50.0], wall_s=2.0, peak_memory_kib=700,
        stopped_by_time=True, server_cpu_s=0.06, client_cpu_s=0.02, db_cpu_s=None,
    )  # fmt: skip

    summary = summarize(combined([first, second]))

    assert summary["requested"] == 6
    assert (summary["completed"], summary["errors"]) == (5, 1)
    assert summary["p50_ms"] == 30.0
    assert summary["rps"] == pytest.approx(5 / 3.0)
    assert summary["peak_memory_kib"] == 700
    assert summary["stopped_by_time"] is True
    assert summary["server_cpu_ms"] == pytest.approx(90 / 6)
    assert summary["db_cpu_ms"] is None
