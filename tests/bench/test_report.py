import copy
from typing import Any

import pytest

from bench import report


def figures(p50, rps, *, errors=0, memory=50_000, cpu=(4.0, 1.0, 2.0)):
    """One batch's figures; cpu=None is a result file from before CPU was measured."""
    measured = {
        "requested": 10, "completed": 10 - errors, "errors": errors,
        "error_kinds": {"http 501": errors} if errors else {},
        "p50_ms": None if errors == 10 else p50, "p95_ms": p50, "p99_ms": p50,
        "rps": None if errors == 10 else rps, "queries_per_request": 2.0,
        "response_bytes": 900.0, "peak_memory_kib": memory, "wall_s": 1.0,
        "stopped_by_time": False,
    }  # fmt: skip
    if cpu is not None:
        measured.update(zip(("server_cpu_ms", "client_cpu_ms", "db_cpu_ms"), cpu, strict=True))
    return measured


def entry(title, group, p50, rps, **kwargs):
    return {"title": title, "group": group, "c1": figures(p50, rps, **kwargs),
            "c8": figures(p50, rps, **kwargs)}  # fmt: skip


RESULTS: dict[str, Any] = {
    "started": "20260101T000000Z", "command": "make bench", "argv": "python -m bench.run",
    "users": 1000, "seed": 1, "big_groups": {"1k": 50, "10k": 100, "50k": 500},
    "machine": {"cpus": 2, "python": "3.11.7", "platform": "Linux", "gunicorn_workers": 2},
    "limits": {"max_seconds_per_batch": 15.0, "full_import_pages": 60},
    "timings": {"dataset_s": 1.0, "peer_copy_s": 1.0, "total_s": 100.0},
    "targets": {
        "portal": {"available": True, "scenarios": {
            "lookup_username": entry("userName eq", 1, 12.0, 400.0),
            "group_small_excluded": entry("small group", 4, 10.0, 300.0),
            "group_50k_excluded": entry("50k group", 4, 11.0, 290.0),
            "patch_add_1k": entry("PATCH add, 1k", 5, 20.0, 100.0),
            "patch_add_50k": entry("PATCH add, 50k", 5, 40.0, 50.0, memory=90_000),
        }},
        "peer": {"available": True, "scenarios": {
            "lookup_username": entry("userName eq", 1, 30.0, 100.0, cpu=(8.0, 1.0, 3.0)),
            "group_small_excluded": entry("small group", 4, 0, 0, errors=10),
            "patch_add_1k": entry("PATCH add, 1k", 5, 60.0, 40.0),
        }},
        "floor": {"available": True, "scenarios": {
            "lookup_username": entry("userName eq", 1, 10.0, 500.0, cpu=(2.0, 1.0, 1.0)),
        }},
    },
}  # fmt: skip


def test_ratios_compare_portal_throughput_with_the_peer_and_latency_with_the_floor():
    row = next(r for r in report.rows(RESULTS) if r["key"] == "lookup_username")

    assert row["portal_peer_rps"] == pytest.approx(4.0)
    assert row["portal_floor_p50"] == pytest.approx(1.2)


def test_a_scenario_the_peer_fails_gets_no_ratio_and_shows_its_errors():
    row = next(r for r in report.rows(RESULTS) if r["key"] == "group_small_excluded")

    assert row["portal_peer_rps"] is None
    assert "errors 10/10" in report.ratio_table(RESULTS)


def test_cpu_table_compares_the_portals_server_cpu_with_the_peers_and_the_floors():
    table = report.cpu_table(RESULTS)

    assert "| 1 | userName eq | 4.00 | 8.00 | 2.00 | 0.50× | 2.00× | 1.00 | 2.00 |" in table


def test_cpu_is_not_compared_with_a_batch_answered_with_errors():
    row = next(r for r in report.rows(RESULTS) if r["key"] == "group_small_excluded")

    assert row["portal_peer_cpu"] is None


def test_a_result_file_from_before_cpu_was_measured_shows_dashes_in_the_cpu_table():
    results = copy.deepcopy(RESULTS)
    results["targets"]["portal"]["scenarios"]["lookup_username"] = entry(
        "userName eq", 1, 12.0, 400.0, cpu=None
    )

    table = report.cpu_table(results)

    assert "| 1 | userName eq | – | 8.00 | 2.00 | – | – | – | – |" in table


def test_targets_are_marked_met_or_missed_from_the_figures():
    found = {what: verdict for what, verdict, _ in report.targets(RESULTS)}

    assert found["Portal throughput ≥ 2× the peer's on every scenario the peer completes"] == (
        "met"
    )
    assert found["Portal latency within 1.5× of the floor on the single lookups (p50, c8)"] == (
        "met"
    )
    assert found["Group PATCH on the 50k group within 1.5× of the 1k group (p50)"] == "missed"
    assert found["50k group with members excluded within 1.5× of a small group (p50)"] == "met"
    assert found[
        "Memory flat as the group grows (peak worker RSS, 50k vs 1k PATCH, within 1.25×)"
    ] == ("missed")


def test_targets_are_not_measured_while_the_portal_is_not_available():
    results = copy.deepcopy(RESULTS)
    results["targets"]["portal"] = {"available": False, "reason": "answered 404"}

    assert {verdict for _, verdict, _ in report.targets(results)} == {"not measured"}
    assert "answered 404" in report.results_markdown(results)


def test_docs_keep_the_hand_written_part_and_get_the_table_and_chart(tmp_path):
    (tmp_path / "benchmarks.md").write_text(
        f"# Benchmarks\n\nHow to run.\n\n{report.NOTE_START}\nthe previous run's results"
    )

    report.write_docs(RESULTS, tmp_path)

    page = (tmp_path / "benchmarks.md").read_text()
    assert page.startswith("# Benchmarks\n\nHow to run.")
    assert "the previous run's results" not in page
    assert "| 1 | userName eq | 400.0 | 100.0 | 500.0 | 4.00× |" in page
    assert f"### {report.CPU_TITLE}" in page
    assert "| 1 | userName eq | 4.00 | 8.00 | 2.00 | 0.50× | 2.00× | 1.00 | 2.00 |" in page
    assert "`make bench`" in page
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
