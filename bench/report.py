"""Rendering a results file: the ratio table, the CPU table, the issue's targets met or
missed, the chart, and docs/benchmarks.md.

    python -m bench.report bench/results/latest.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

RATIO_LEVEL = "c8"
LOOKUPS = ("lookup_username", "lookup_external_id", "lookup_email")
PATCH_KINDS = ("patch_add", "patch_remove_filter", "patch_remove_list")
NOTE_START = "<!-- bench:results -->"
CPU_TITLE = "CPU per request at concurrency 8"
# The order; result files written with sorted keys read back in it.
ORDER = (
    "lookup_username", "lookup_external_id", "lookup_email", "full_import", "active_page",
    "active_deep_page", "group_small_excluded", "group_50k_excluded", "group_display_name",
    *(f"{kind}_{size}" for size in ("1k", "10k", "50k") for kind in PATCH_KINDS),
    "user_patch_entra", "user_put_okta", "user_post", "bulk_1000",
)  # fmt: skip


def _figures(results: dict[str, Any], target: str, key: str, level: str) -> dict[str, Any]:
    entry = results["targets"].get(target, {})
    if not entry.get("available"):
        return {}
    figures: dict[str, Any] = entry.get("scenarios", {}).get(key, {}).get(level, {})
    return figures


def completed(figures: dict[str, Any]) -> bool:
    """A scenario a target completed: every request answered, none with an error."""
    return bool(figures) and not figures.get("errors") and bool(figures.get("completed"))


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return numerator / denominator


def scenario_keys(results: dict[str, Any]) -> list[tuple[str, str, int]]:
    seen: dict[str, tuple[str, str, int]] = {}
    for target in results["targets"].values():
        for key, entry in target.get("scenarios", {}).items():
            seen.setdefault(key, (key, entry["title"], entry["group"]))
    known = {key: position for position, key in enumerate(ORDER)}
    return sorted(seen.values(), key=lambda item: (item[2], known.get(item[0], len(ORDER))))


def rows(results: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per scenario at the ratio concurrency, with the portal/peer throughput ratio
    and the portal/floor latency ratio (p50)."""
    for key, title, group in scenario_keys(results):
        portal = _figures(results, "portal", key, RATIO_LEVEL)
        peer = _figures(results, "peer", key, RATIO_LEVEL)
        floor = _figures(results, "floor", key, RATIO_LEVEL)
        yield {
            "key": key,
            "title": title,
            "group": group,
            "portal": portal,
            "peer": peer,
            "floor": floor,
            "portal_peer_rps": _ratio(portal.get("rps"), peer.get("rps"))
            if completed(peer)
            else None,
            "portal_floor_p50": _ratio(portal.get("p50_ms"), floor.get("p50_ms")),
            "peer_floor_p50": _ratio(peer.get("p50_ms"), floor.get("p50_ms")),
            # CPU is compared only between batches answered without an error: a 501 is cheap.
            "portal_peer_cpu": _ratio(portal.get("server_cpu_ms"), peer.get("server_cpu_ms"))
            if completed(portal) and completed(peer)
            else None,
            "portal_floor_cpu": _ratio(portal.get("server_cpu_ms"), floor.get("server_cpu_ms"))
            if completed(portal) and completed(floor)
            else None,
        }


def _cell(figures: dict[str, Any], field: str, digits: int = 1) -> str:
    if not figures:
        return "–"
    if figures.get("errors"):
        return f"errors {figures['errors']}/{figures['errors'] + figures['completed']}"
    if not figures.get("completed") and figures.get("cut"):
        return f"cut {figures['cut']}"
    value = figures.get(field)
    return "–" if value is None else f"{value:.{digits}f}"


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _table(
    results: dict[str, Any], columns: tuple[str, ...], cells: Callable[[dict[str, Any]], list[str]]
) -> str:
    """A Markdown table with a row per scenario: its group and title, then its cells."""
    lines = [
        "| " + " | ".join(("#", "scenario", *columns)) + " |",
        "|---" * (len(columns) + 2) + "|",
    ]
    for row in rows(results):
        lines.append("| " + " | ".join((str(row["group"]), row["title"], *cells(row))) + " |")
    return "\n".join(lines)


def ratio_table(results: dict[str, Any]) -> str:
    def cells(row: dict[str, Any]) -> list[str]:
        portal, peer, floor = row["portal"], row["peer"], row["floor"]
        return [
            _cell(portal, "rps"), _cell(peer, "rps"), _cell(floor, "rps"),
            _times(row["portal_peer_rps"]),
            _cell(portal, "p50_ms"), _cell(peer, "p50_ms"), _cell(floor, "p50_ms"),
            _times(row["portal_floor_p50"]), _times(row["peer_floor_p50"]),
            _cell(portal, "queries_per_request"), _cell(peer, "queries_per_request"),
        ]  # fmt: skip

    columns = (
        "portal rps", "peer rps", "floor rps", "portal/peer rps",
        "portal p50 ms", "peer p50 ms", "floor p50 ms", "portal/floor p50", "peer/floor p50",
        "portal q/req", "peer q/req",
    )  # fmt: skip
    return _table(results, columns, cells)


def cpu_table(results: dict[str, Any]) -> str:
    """CPU milliseconds per request at the ratio concurrency: the targets' workers, and for
    the portal the load client and PostgreSQL. Result files from before CPU was measured
    show a dash."""

    def cells(row: dict[str, Any]) -> list[str]:
        portal, peer, floor = row["portal"], row["peer"], row["floor"]
        return [
            _cell(portal, "server_cpu_ms", 2), _cell(peer, "server_cpu_ms", 2),
            _cell(floor, "server_cpu_ms", 2),
            _times(row["portal_peer_cpu"]), _times(row["portal_floor_cpu"]),
            _cell(portal, "client_cpu_ms", 2), _cell(portal, "db_cpu_ms", 2),
        ]  # fmt: skip

    columns = (
        "portal server ms", "peer server ms", "floor server ms", "portal/peer server",
        "portal/floor server", "portal client ms", "portal database ms",
    )  # fmt: skip
    return _table(results, columns, cells)


def _verdict(ok: bool | None) -> str:
    return {True: "met", False: "missed", None: "not measured"}[ok]


def targets(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The issue's targets, each (target, verdict, evidence)."""
    out: list[tuple[str, str, str]] = []
    all_rows = list(rows(results))

    compared = [r for r in all_rows if r["portal_peer_rps"] is not None and completed(r["portal"])]
    slow = [f"{r['key']} {r['portal_peer_rps']:.2f}×" for r in compared
            if r["portal_peer_rps"] < 2]  # fmt: skip
    out.append((
        "Portal throughput ≥ 2× the peer's on every scenario the peer completes",
        _verdict(None if not compared else not slow),
        ", ".join(slow) if slow else f"{len(compared)} scenarios compared",
    ))  # fmt: skip

    lookup_rows = [r for r in all_rows if r["key"] in LOOKUPS and r["portal_floor_p50"]]
    far = [f"{r['key']} {r['portal_floor_p50']:.2f}×" for r in lookup_rows
           if r["portal_floor_p50"] > 1.5]  # fmt: skip
    out.append((
        "Portal latency within 1.5× of the floor on the single lookups (p50, c8)",
        _verdict(None if not lookup_rows else not far),
        ", ".join(far) if far else ", ".join(
            f"{r['key']} {r['portal_floor_p50']:.2f}×" for r in lookup_rows),
    ))  # fmt: skip

    growth, memory = [], []
    for kind in PATCH_KINDS:
        small = _figures(results, "portal", f"{kind}_1k", RATIO_LEVEL)
        large = _figures(results, "portal", f"{kind}_50k", RATIO_LEVEL)
        if completed(small) and completed(large):
            growth.append((kind, _ratio(large["p50_ms"], small["p50_ms"])))
            memory.append((kind, _ratio(large["peak_memory_kib"], small["peak_memory_kib"])))
    out.append((
        "Group PATCH on the 50k group within 1.5× of the 1k group (p50)",
        _verdict(None if not growth else all(g is not None and g <= 1.5 for _, g in growth)),
        ", ".join(f"{k} {g:.2f}×" for k, g in growth if g is not None),
    ))  # fmt: skip

    small = _figures(results, "portal", "group_small_excluded", RATIO_LEVEL)
    large = _figures(results, "portal", "group_50k_excluded", RATIO_LEVEL)
    excluded = _ratio(large.get("p50_ms"), small.get("p50_ms"))
    out.append((
        "50k group with members excluded within 1.5× of a small group (p50)",
        _verdict(None if excluded is None else excluded <= 1.5),
        "" if excluded is None else f"{excluded:.2f}×",
    ))  # fmt: skip

    out.append((
        "Memory flat as the group grows (peak worker RSS, 50k vs 1k PATCH, within 1.25×)",
        _verdict(None if not memory else all(m is not None and m <= 1.25 for _, m in memory)),
        ", ".join(f"{k} {m:.2f}×" for k, m in memory if m is not None),
    ))  # fmt: skip
    return out


def chart(results: dict[str, Any], path: Path) -> None:
    """p50 latency per scenario and target at concurrency 8, log scale; errors leave a gap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keyed = scenario_keys(results)
    names = ("portal", "peer", "floor")
    figure, axes = plt.subplots(figsize=(12, 6))
    width = 0.27
    for offset, name in enumerate(names):
        values = []
        for key, _, _ in keyed:
            figures = _figures(results, name, key, RATIO_LEVEL)
            values.append(figures["p50_ms"] if completed(figures) else 0)
        positions = [index + (offset - 1) * width for index in range(len(keyed))]
        axes.bar(positions, values, width, label=name)
    axes.set_yscale("log")
    axes.set_ylabel("p50 latency, ms (log), concurrency 8")
    axes.set_xticks(range(len(keyed)))
    axes.set_xticklabels([key for key, _, _ in keyed], rotation=60, ha="right", fontsize=8)
    axes.set_title(f"SCIM at {results['users']:,} users: portal, django-scim2, bare Django")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _availability(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, target in results["targets"].items():
        if not target.get("available"):
            lines.append(f"- **{name}** was not measured: {target.get('reason', 'unknown')}.")
    return lines


def results_markdown(results: dict[str, Any]) -> str:
    timings = results["timings"]
    verdicts = "\n".join(
        f"| {what} | **{verdict}** | {evidence} |" for what, verdict, evidence in targets(results)
    )
    unavailable = "\n".join(_availability(results))
    import_pages = results["limits"].get("full_import_pages")
    sizes = ", ".join(f"{size:,}" for size in sorted(results["big_groups"].values()))
    return f"""{NOTE_START}
## Latest results

Measured by `{results["argv"]}` (what `{results["command"]}` runs), started
{results["started"]}, and rendered from its JSON (`python -m bench.report FILE` renders again):
{results["users"]:,} users, seed {results["seed"]}, large groups of {sizes} members;
{results["machine"]["cpus"]} CPUs, Python {results["machine"]["python"]}, gunicorn with
{results["machine"]["gunicorn_workers"]} workers per target. Data set loaded in
{timings.get("dataset_s", 0):.1f} s, copied to the peer in {timings.get("peer_copy_s", 0):.1f} s;
whole run {timings.get("total_s", 0):.0f} s. Each batch stops after
{results["limits"]["max_seconds_per_batch"]:.0f} s{
        f" (/Bulk: {results['limits']['max_seconds_per_bulk_batch']:.0f} s)"
        if "max_seconds_per_bulk_batch" in results["limits"]
        else ""
    }{
        f"; the full import asks for {import_pages} pages spread over all of them"
        if import_pages
        else ""
    }{
        f". Each batch is sent in {results['limits']['rounds_per_batch']} rounds, the"
        " targets taking turns"
        if "rounds_per_batch" in results["limits"]
        else ""
    }.

{unavailable}

Ratios at concurrency 8. Throughput is requests per second; a cell with errors shows
how many requests failed (501, another error status, or a wrong answer) and gives no
latency; "cut" means no request was answered within twice the batch's time limit.
Full figures (p95, p99, bytes, memory, concurrency 1) are in
`bench/results/{results["started"]}.json`.

{ratio_table(results)}

### {CPU_TITLE}

In milliseconds of user and system time per request answered: the target's gunicorn
workers ("server"), the load client, and every PostgreSQL process on the machine
("database", so it holds only while nothing else uses the database server). Read from
`/proc` in clock ticks, so a short batch rounds coarsely.

{cpu_table(results)}

### Targets

| target | verdict | evidence |
|---|---|---|
{verdicts}

![p50 latency per scenario](benchmarks.png)
"""


def write_docs(results: dict[str, Any], docs: Path) -> None:
    """Replace the results section of docs/benchmarks.md (everything after the marker),
    keeping the hand-written part above it, and redraw the chart."""
    docs.mkdir(exist_ok=True)
    page = docs / "benchmarks.md"
    head = page.read_text().split(NOTE_START)[0] if page.exists() else "# Benchmarks\n\n"
    page.write_text(head + results_markdown(results))
    chart(results, docs / "benchmarks.png")


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0]) if args else Path(__file__).parent / "results" / "latest.json"
    results = json.loads(path.read_text())
    print(ratio_table(results), CPU_TITLE, cpu_table(results), sep="\n\n")
    write_docs(results, Path(__file__).resolve().parent.parent / "docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
