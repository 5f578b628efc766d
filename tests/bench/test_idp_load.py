import json
import os
import subprocess
import sys
from typing import Any

import pytest

from bench import report
from bench.idp_load import SECTION_END, SECTION_START, FormParser, form_with, write_docs
from bench.servers import ROOT
from tests.brokers import ThrowawayRedis

SMOKE_RESULTS = ROOT / "bench" / "results" / "smoke" / "idp_load" / "latest.json"
EVERY_KIND = {
    "POST /Users",
    "PATCH /Users (Entra)",
    "PUT /Users (Okta)",
    "PATCH /Groups members",
    "deactivate (active=false)",
    "DELETE /Users (Entra)",
    "admin onboard",
    "admin move",
    "admin offboard",
}

MEMORY_KEYS = (
    "gunicorn_workers_kib",
    "celery_kib",
    "postgres_ours_kib",
    "postgres_all_kib",
    "redis_used_bytes",
)

PAGE = """
<form id="logout-form" method="post" action="/admin/logout/">
  <input type="hidden" name="csrfmiddlewaretoken" value="t0">
</form>
<form method="post">
  <input type="hidden" name="csrfmiddlewaretoken" value="t1">
  <input name="user_name" value="ada">
  <input type="checkbox" name="active" checked>
  <input type="checkbox" name="staff">
  <select name="template"><option value="">---</option><option value="7">Engineering</option>
  </select>
  <select name="manager"><option value="m1" selected>Grace</option></select>
  <textarea name="reason">Moves on</textarea>
  <button type="submit" name="action" value="Preview">Preview</button>
  <input type="submit" name="_save" value="Save">
</form>
"""


def test_a_form_is_read_as_a_browser_submits_it():
    form = form_with(PAGE, "user_name")

    assert form.fields == [
        ("csrfmiddlewaretoken", "t1"),
        ("user_name", "ada"),
        ("active", "on"),
        ("template", ""),
        ("manager", "m1"),
        ("reason", "Moves on"),
    ]


def test_an_option_is_chosen_by_its_label():
    form = form_with(PAGE, "template")

    form.choose("template", "Engineering")

    assert ("template", "7") in form.fields
    assert [name for name, _ in form.fields].count("template") == 1


def test_every_form_of_the_page_is_read():
    parser = FormParser()
    parser.feed(PAGE)

    assert [form.action for form in parser.forms] == ["/admin/logout/", ""]


def results() -> dict[str, Any]:
    figures = {"requests": 3, "errors": 0, "p50_ms": 10.0, "p95_ms": 20.0, "p99_ms": 30.0}
    spread = {"start": 1024, "end": 2048, "max": 4096}
    return {
        "started": "20261205T150000Z",
        "argv": "python -m bench.idp_load --minutes 10 --rate 20",
        "command": "make bench-load",
        "seconds": 600,
        "rate": 20,
        "achieved_rps": 19.9,
        "late": 0,
        "admin_every_s": 5,
        "users": 1000,
        "machine": {"cpus": 2, "gunicorn_workers": 2, "celery_concurrency": 2},
        "load_1min": {"start": 1.0, "end": 2.0, "max": 3.0},
        "requests": {"kinds": {"POST /Users": figures}, "overall": figures},
        "errors": [],
        "outbox": {
            "lag_max_s": 2.0,
            "lag_p99_s": 1.9,
            "lag_p50_s": 0.1,
            "waiting_max": 0,
            "undelivered_max": 4,
        },
        "outbox_messages": 100,
        "outbox_failed": 0,
        "drain_s": 1.5,
        "downstream": {
            "delivered": 3,
            "expected": 3,
            "uncertain": 0,
            "portal_active": 10,
            "downstream_active": 10,
            "missing_downstream_count": 0,
            "extra_downstream_count": 0,
        },
        "audit_verify": {"ok": True, "output": "Audit chain intact: 9 events verified."},
        "memory": dict.fromkeys(MEMORY_KEYS, spread),
    }


def test_the_section_goes_above_the_results_marker_and_is_replaced_in_place(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text(f"# Benchmarks\n\nHand-written.\n\n{report.NOTE_START}\n## Latest results\n")

    write_docs(results(), tmp_path)
    first = page.read_text()
    write_docs(results(), tmp_path)

    assert page.read_text() == first
    assert first.count(SECTION_START) == first.count(SECTION_END) == 1
    assert first.index("Hand-written.") < first.index(SECTION_START)
    assert first.index(SECTION_END) < first.index(report.NOTE_START)
    assert first.endswith(f"{report.NOTE_START}\n## Latest results\n")
    assert "| POST /Users | 3 | 0 | 10 | 20 | 30 |" in first


@pytest.mark.postgresql
def test_a_short_load_run_delivers_every_acknowledged_write(tmp_path):
    """The script end to end for 15 s at 5 writes a second, on a Redis of its own, so that
    it cannot rot between the full runs."""
    broker = ThrowawayRedis(tmp_path)
    broker.start()
    try:
        run = subprocess.run(
            [
                sys.executable, "-m", "bench.idp_load", "--seconds", "15", "--rate", "5",
                "--admin-every", "2", "--users", "200", "--no-docs",
                "--database-suffix", "_idp_load_smoke",
            ],
            cwd=ROOT,
            env=dict(os.environ, REDIS_URL=broker.url),
            capture_output=True,
            text=True,
            timeout=900,
        )  # fmt: skip
    finally:
        broker.stop()

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    figures = json.loads(SMOKE_RESULTS.read_text())
    assert set(figures["requests"]["kinds"]) >= EVERY_KIND
    assert figures["requests"]["overall"]["errors"] == 0
    assert figures["downstream"]["delivered"] == figures["downstream"]["expected"] > 0
    assert figures["drain_s"] is not None
    assert figures["audit_verify"]["ok"]
