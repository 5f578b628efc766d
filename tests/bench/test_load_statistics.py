from collections import Counter

import pytest

from bench.load import Measurement, Target, percentile, summarize


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


def test_load_client_refuses_a_target_off_loopback():
    with pytest.raises(ValueError, match="loopback"):
        Target("portal", "http://example.org/scim/v2", "token")
