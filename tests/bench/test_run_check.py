import copy
import signal
from typing import Any

import pytest

from bench.run import check_run, main, shares, with_suffix


def lookups(errors: int) -> dict[str, Any]:
    figures = {"errors": errors, "completed": 10 - errors, "error_kinds": {"http 501": errors}}
    entry = {"title": "t", "group": 1, "c1": figures, "c8": figures}
    return dict.fromkeys(("lookup_username", "lookup_external_id", "lookup_email"), entry)


RESULTS: dict[str, Any] = {
    "targets": {
        "portal": {"available": True, "scenarios": lookups(0)},
        "peer": {"available": True, "scenarios": lookups(0)},
        "floor": {"available": True, "scenarios": lookups(0)},
    }
}


def test_a_run_whose_lookups_all_answered_passes():
    assert check_run(RESULTS) == []


def test_a_run_fails_when_a_target_answers_a_single_lookup_with_an_error():
    results = copy.deepcopy(RESULTS)
    results["targets"]["floor"]["scenarios"] = lookups(1)

    assert any(problem.startswith("floor lookup_username") for problem in check_run(results))


def test_a_run_fails_when_a_target_did_not_come_up():
    results = copy.deepcopy(RESULTS)
    results["targets"]["portal"] = {"available": False, "reason": "answered 404"}

    assert check_run(results) == ["portal: not available"]


def test_smoke_databases_are_named_after_the_configured_ones():
    url = "postgres://postgres@127.0.0.1:5432/portal"

    assert (
        with_suffix(url, "_bench_smoke") == "postgres://postgres@127.0.0.1:5432/portal_bench_smoke"
    )


@pytest.mark.parametrize(
    ("requests", "expected"), [(900, [300, 300, 300]), (10, [4, 3, 3]), (2, [1, 1]), (0, [])]
)
def test_a_batch_is_shared_between_rounds_as_evenly_as_it_comes(requests, expected):
    assert shares(requests) == expected


def test_only_refuses_a_scenario_it_does_not_know_before_touching_a_database(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nowhere")
    monkeypatch.setattr(signal, "signal", lambda *_: None)  # keep pytest's SIGTERM handler

    assert main(["--smoke", "--only", "lookup_username,lookup_nickname"]) == 2
    assert capsys.readouterr().out.strip() == "bench: no scenario lookup_nickname"


def test_scim2_servers_lookups_may_be_cut_but_not_answered_with_errors():
    cut = {"errors": 0, "completed": 0, "cut": 8, "error_kinds": {}}
    results = copy.deepcopy(RESULTS)
    results["targets"]["scim2-server"] = {"available": True, "scenarios": lookups(0)}
    results["targets"]["scim2-server"]["scenarios"]["lookup_email"] = {"c1": cut, "c8": cut}
    assert check_run(results) == []

    results["targets"]["scim2-server"]["scenarios"] = lookups(1)
    assert check_run(results) != []


def test_the_portals_lookups_may_not_be_cut():
    cut = {"errors": 0, "completed": 0, "cut": 8, "error_kinds": {}}
    results = copy.deepcopy(RESULTS)
    results["targets"]["portal"]["scenarios"]["lookup_email"] = {"c1": cut, "c8": cut}

    assert check_run(results) == ["portal lookup_email c1: {}", "portal lookup_email c8: {}"]
