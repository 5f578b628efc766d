import copy
import json
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


def with_writes(portal_bulk_ms, scim2_bulk_ms, *, post_rps=120.0, post_queries=7.0):
    """RESULTS with issue 21's write scenarios and scim2-server as a target."""
    results = copy.deepcopy(RESULTS)
    portal = results["targets"]["portal"]["scenarios"]
    peer = results["targets"]["peer"]["scenarios"]
    portal["bulk_1000"] = entry("/Bulk, 1,000 operations", 7, portal_bulk_ms, 0.1)
    portal["user_post"] = entry("POST /Users", 7, 30.0, post_rps)
    portal["user_post"]["c8"]["queries_per_request"] = post_queries
    portal["user_put_okta"] = entry("Okta user PUT", 6, 40.0, 80.0)
    portal["user_put_okta"]["c8"]["queries_per_request"] = 12.0
    peer["user_post"] = entry("POST /Users", 7, 35.0, 100.0)
    peer["user_put_okta"] = entry("Okta user PUT", 6, 30.0, 100.0)
    results["targets"][report.SCIM2] = {"available": True, "scenarios": {
        "lookup_username": entry("userName eq", 1, 5.0, 800.0),
        "bulk_1000": entry("/Bulk, 1,000 operations", 7, scim2_bulk_ms, 0.3),
    }}  # fmt: skip
    return results


def verdicts(results, previous=None):
    return {what: (verdict, evidence) for what, verdict, evidence in report.targets(
        results, previous)}  # fmt: skip


BULK = "/Bulk of 1,000 user creates faster than scim2-server's in-memory time (same run)"
POST = "POST /Users at least django-scim2's throughput, at most 8 queries"
PUT = "The Okta PUT at least django-scim2's throughput, at most 8 queries"
SCALING = "Write throughput with 8 gunicorn workers ≥ 2.5× that with 2"
READS = "No regression on the read scenarios (against the previous full run)"


def test_the_table_has_scim2_servers_columns_and_the_portals_ratio_to_it():
    table = report.ratio_table(with_writes(9_000.0, 3_000.0))

    assert "| scim2-server rps | portal/scim2-server rps | scim2-server p50 ms |" in table
    assert "| 1 | userName eq | 400.0 |" in table
    assert "| 2.0 | 2.0 | 800.0 | 0.50× | 5.0 |" in table


def test_bulk_is_met_when_the_portals_one_request_is_quicker_than_scim2_servers():
    found = verdicts(with_writes(2_000.0, 3_000.0))

    assert found[BULK][0] == "met"
    assert "portal 2.0 s, scim2-server 3.0 s" in found[BULK][1]


def test_bulk_is_missed_when_scim2_server_is_quicker():
    assert verdicts(with_writes(9_000.0, 3_000.0))[BULK][0] == "missed"


def test_bulk_is_not_measured_when_scim2_server_was_not_in_the_run():
    results = with_writes(2_000.0, 3_000.0)
    del results["targets"][report.SCIM2]

    verdict, evidence = verdicts(results)[BULK]

    assert verdict == "not measured"
    assert evidence == "scim2-server: not in this run"


def test_a_single_write_needs_the_peers_throughput_and_at_most_eight_queries():
    found = verdicts(with_writes(2_000.0, 3_000.0))

    assert found[POST] == ("met", "1.20× the peer's throughput (c8), 7.0 queries per request")
    assert found[PUT][0] == "missed"
    assert found[PUT][1].endswith("short on throughput, queries")


def test_a_single_write_over_eight_queries_is_missed_however_fast():
    found = verdicts(with_writes(2_000.0, 3_000.0, post_rps=300.0, post_queries=9.0))

    assert found[POST][0] == "missed"
    assert found[POST][1].endswith("short on queries")


def test_write_scaling_points_at_its_own_section_when_the_run_has_two_workers():
    verdict, evidence = verdicts(RESULTS)[SCALING]

    assert verdict == "not measured"
    assert "see the section on write throughput by workers" in evidence


def test_reads_are_not_measured_without_an_earlier_run():
    assert verdicts(RESULTS)[READS][0] == "not measured"


def read_verdict_after(p50, rps, cpu):
    """The read verdict of RESULTS against itself a day earlier, the portal's userName
    lookup now at these figures."""
    previous = copy.deepcopy(RESULTS)
    previous["started"] = "20251231T000000Z"
    current = copy.deepcopy(RESULTS)
    current["targets"]["portal"]["scenarios"]["lookup_username"] = entry(
        "userName eq", 1, p50, rps, cpu=(cpu, 1.0, 2.0)
    )
    return verdicts(current, previous)[READS]


def test_reads_hold_when_cpu_or_the_ratio_to_the_peer_stays_within_bounds():
    # A busier machine: CPU per request up 50%, the peer's throughput ratio unchanged.
    verdict, evidence = read_verdict_after(12.0, 400.0, cpu=6.0)

    assert verdict == "met"
    assert evidence.startswith(
        "against 20251231T000000Z (CPU against the machine's pace: the floor's lookup took"
        " 1.00× the CPU): 3 read scenarios"
    )


def group_read_verdict_on(machine_pace):
    """The read verdict after a run where a group read (which the peer never answers, so
    only its CPU speaks) took twice the CPU, on a machine this much slower."""
    previous = copy.deepcopy(RESULTS)
    previous["started"] = "20251231T000000Z"
    current = copy.deepcopy(RESULTS)
    current["targets"]["portal"]["scenarios"]["group_small_excluded"] = entry(
        "small group", 4, 10.0, 300.0, cpu=(8.0, 1.0, 2.0)
    )
    current["targets"]["floor"]["scenarios"]["lookup_username"] = entry(
        "userName eq", 1, 10.0, 500.0, cpu=(2.0 * machine_pace, 1.0, 1.0)
    )
    return verdicts(current, previous)[READS]


def test_a_read_is_compared_at_the_machines_pace():
    # The floor's own lookup took twice the CPU too: the machine, not the portal.
    assert group_read_verdict_on(2.0)[0] == "met"
    # The same CPU on a machine as fast as before: the portal regressed.
    verdict, evidence = group_read_verdict_on(1.0)
    assert verdict == "missed"
    assert "group_small_excluded CPU 2.00×" in evidence


def test_a_read_regresses_when_both_its_cpu_and_its_ratio_to_the_peer_worsen():
    verdict, evidence = read_verdict_after(24.0, 200.0, cpu=6.0)

    assert verdict == "missed"
    assert "lookup_username CPU 1.50×, portal/peer 0.50×" in evidence


def test_the_previous_run_is_the_newest_earlier_full_run_of_the_same_size(tmp_path):
    for stamp, users in (
        ("20251230T000000Z", 1000),
        ("20251231T000000Z", 1000),
        ("20251231T120000Z", 100_000),
        ("20260102T000000Z", 1000),
    ):
        (tmp_path / f"{stamp}.json").write_text(json.dumps({"started": stamp, "users": users}))
    (tmp_path / "latest.json").write_text(json.dumps({"started": "x", "users": 1000}))

    previous = report.previous_run(tmp_path, RESULTS)

    assert previous is not None
    assert previous["started"] == "20251231T000000Z"


def test_the_page_renders_the_new_verdicts_scim2_servers_load_and_the_machines_load(tmp_path):
    results = with_writes(2_000.0, 3_000.0)
    results["timings"]["scim2_server_load_s"] = 41.5
    results["machine"]["load_average"] = {"start": [9.5, 8.0, 7.25], "end": [11.0, 9.0, 8.0]}

    report.write_docs(results, tmp_path)

    page = (tmp_path / "benchmarks.md").read_text()
    assert "scim2-server started and loaded the same data set into its memory in 41.5 s." in page
    assert "Load average (1, 5, 15 min) at start 9.50, 8.00, 7.25; at end 11.00, 9.00, 8.00." in (
        page.replace("\n", " ")
    )
    assert f"| {BULK} | **met** |" in page
    assert f"| {SCALING} | **not measured** |" in page
