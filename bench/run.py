"""The whole bench in one run on one machine: build the data set, copy it to the peer, serve
the portal, the peer and the floor under gunicorn one after the other, load each, and write
bench/results/<timestamp>.json and docs/benchmarks.md.

    python -m bench.run                 # 100,000 users (make bench)
    python -m bench.run --smoke         # 1,000 users, quick (make bench-smoke)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

from bench import dataset, report, scenarios
from bench.load import Scenario, Target, new_client, run_scenario, summarize
from bench.peer_data import copy_to_peer
from bench.servers import ROOT, Server, run_environment

RESULTS = ROOT / "bench" / "results"
CONCURRENCY = (1, 8)
PEER_DATABASE = "postgres://postgres@127.0.0.1:5432/bench_peer"
PEER_TOKEN = "bench-peer-token"
PEER_SETTINGS = "bench.peers.djscim.settings"
# The lookups every target must answer without an error for the smoke run to pass.
REQUIRED = ("lookup_username", "lookup_external_id", "lookup_email")


class BenchError(Exception):
    """The bench cannot run, or a run it made is wrong."""


def with_suffix(url: str, suffix: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + suffix)) if suffix else url


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if found.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def _command(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (our own interpreter)
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def commands(*pending: tuple[list[str], dict[str, str]]) -> list[str]:
    """Run commands side by side (each is mostly Django starting up); return their outputs."""
    started = [(args, _command(args, env)) for args, env in pending]
    outputs = []
    for args, process in started:
        stdout, stderr = process.communicate()
        if process.returncode:
            raise BenchError(f"{' '.join(args)} failed: {(stderr or stdout).strip()[-500:]}")
        outputs.append(stdout)
    return outputs


def manage(env: dict[str, str], *args: str) -> str:
    return commands((["manage.py", *args], env))[0]


async def measure(
    server: Server, target: Target, chosen: list[Scenario], max_seconds: float
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for scenario in chosen:
        entry: dict[str, Any] = {"title": scenario.title, "group": scenario.group}
        for concurrency in CONCURRENCY:
            server.reset_peak_memory()
            async with new_client(concurrency) as client:
                measurement = await run_scenario(
                    client,
                    target,
                    scenario,
                    concurrency=concurrency,
                    # Writes never repeat a call: the second level continues the numbering.
                    first_index=0 if concurrency == 1 else scenario.requests,
                    max_seconds=scenario.max_seconds or max_seconds,
                )
            measurement.peak_memory_kib = server.peak_memory_kib()
            if measurement.cut:
                server.restart()
                target = replace(target, base_url=server.origin + urlsplit(target.base_url).path)
            entry[f"c{concurrency}"] = summarize(measurement)
        results[scenario.key] = entry
        line = entry["c1"]
        print(
            f"  {target.name:6} {scenario.key:26} p50 {line['p50_ms'] or 0:8.1f} ms"
            f"  errors {line['errors']}+{entry['c8']['errors']}",
            flush=True,
        )
    return results


def portal_token(env: dict[str, str]) -> str:
    """A SCIM bearer token from the portal's own command; it prints the token last."""
    output = manage(env, "scim_token", "create", f"bench-{int(time.time())}")
    return output.strip().splitlines()[-1].strip()


def run_portal(
    env: dict[str, str], all_scenarios: list[Scenario], size: scenarios.Size, logs: Path
) -> dict[str, Any]:
    # Any answer means it serves: the SCIM path answers 404 until SCIM is there.
    server = Server("portal", "bench.settings_portal", "/scim/v2/ServiceProviderConfig", env=env)
    server.start(logs)
    try:
        probe = httpx.get(server.origin + "/scim/v2/ServiceProviderConfig", timeout=10.0)
        # RFC 7644 lets a provider ask for a token here too: 401 and 403 mean SCIM is there.
        if probe.status_code not in (200, 401, 403):
            return {
                "available": False,
                "reason": f"/scim/v2/ServiceProviderConfig answered {probe.status_code}",
            }
        token = portal_token(run_environment("portal.settings", env))
        target = Target("portal", server.origin + "/scim/v2", token)
        chosen = [s for s in all_scenarios if "portal" in s.targets]
        return {
            "available": True,
            "scenarios": asyncio.run(measure(server, target, chosen, size.max_seconds)),
        }
    finally:
        server.stop()


def run_target(
    name: str,
    server: Server,
    base_path: str,
    token: str,
    chosen: list[Scenario],
    size: scenarios.Size,
    logs: Path,
) -> dict[str, Any]:
    server.start(logs)
    try:
        target = Target(name, server.origin + base_path, token)
        return {
            "available": True,
            "scenarios": asyncio.run(measure(server, target, chosen, size.max_seconds)),
        }
    finally:
        server.stop()


def check_run(results: dict[str, Any]) -> list[str]:
    """What makes a run wrong: a target that did not come up, answered a single lookup
    with an error, or answered none of its requests."""
    problems = []
    for name, target in results["targets"].items():
        if not target.get("available"):
            problems.append(f"{name}: not available")
            continue
        for key in REQUIRED:
            for level, figures in target["scenarios"][key].items():
                if not level.startswith("c"):
                    continue
                if figures["errors"] or not figures["completed"]:
                    problems.append(f"{name} {key} {level}: {figures['error_kinds']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the SCIM benchmark end to end.")
    parser.add_argument("--smoke", action="store_true", help="1,000 users, a quick run")
    parser.add_argument("--users", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-suffix",
        default="",
        help="run in databases named after the configured ones plus this suffix",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/")
    args = parser.parse_args(argv)
    # A plain SIGTERM unwinds like an error, so that the targets' gunicorns are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    users = args.users or (1_000 if args.smoke else dataset.FULL_USERS)
    size = scenarios.SMOKE if args.smoke else scenarios.FULL

    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        print("The bench needs PostgreSQL: DATABASE_URL is not a postgres:// URL.")
        return 2
    keys = os.environ.get("KEYSTORE_DATABASE_URL", "")
    peer = os.environ.get("BENCH_PEER_DATABASE_URL", PEER_DATABASE)
    urls = {
        "DATABASE_URL": with_suffix(database, args.database_suffix),
        "BENCH_PEER_DATABASE_URL": with_suffix(peer, args.database_suffix),
    }
    if keys:
        urls["KEYSTORE_DATABASE_URL"] = with_suffix(keys, args.database_suffix)
    env = dict(os.environ, **urls)
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    try:
        for url in urls.values():
            if url.startswith(("postgres://", "postgresql://")):
                ensure_database(url)
        step = time.perf_counter()
        peer_env = dict(env, DJANGO_SETTINGS_MODULE=PEER_SETTINGS)
        migrations = [(["manage.py", "migrate", "--noinput"], env)]
        if keys:
            migrations.append((["manage.py", "migrate", "--noinput", "--database", "keys"], env))
        migrations.append((["-m", "django", "migrate", "--noinput"], peer_env))
        commands(*migrations)
        timings["migrate_s"] = time.perf_counter() - step

        step = time.perf_counter()
        loaded = commands((
            ["-m", "bench.dataset", "--users", str(users), "--seed", str(args.seed), "--reset"],
            dict(env, DJANGO_SETTINGS_MODULE="portal.settings"),
        ))  # fmt: skip
        print(loaded[0].strip(), flush=True)
        timings["dataset_s"] = time.perf_counter() - step

        step = time.perf_counter()
        with (
            psycopg.connect(urls["DATABASE_URL"]) as source,
            psycopg.connect(urls["BENCH_PEER_DATABASE_URL"], autocommit=True) as target,
        ):
            copy_to_peer(source, target)
        timings["peer_copy_s"] = time.perf_counter() - step
    except BenchError as error:
        print(f"bench: {error}")
        return 1

    plan = dataset.Plan(users=users, seed=args.seed)
    all_scenarios = scenarios.build(plan, size, run_tag=f"new{stamp.lower()}")
    results: dict[str, Any] = {
        "started": stamp,
        "command": "make bench-smoke" if args.smoke else "make bench",
        "argv": shlex.join(["python", "-m", "bench.run", *(argv or sys.argv[1:])]),
        "users": users,
        "seed": args.seed,
        "big_groups": dict(zip(("1k", "10k", "50k"), plan.big_groups, strict=True)),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "gunicorn_workers": 2,
        },
        "limits": {
            "max_seconds_per_batch": size.max_seconds,
            "max_seconds_per_bulk_batch": size.bulk_max_seconds,
            "full_import_pages": None if args.smoke else scenarios.FULL_IMPORT_PAGES,
        },
        "timings": timings,
        "targets": {},
    }

    print("portal:", flush=True)
    results["targets"]["portal"] = run_portal(env, all_scenarios, size, logs)
    if not results["targets"]["portal"]["available"]:
        print(f"  not available: {results['targets']['portal']['reason']}", flush=True)

    print("peer (django-scim2):", flush=True)
    peer_server = Server(
        "peer",
        PEER_SETTINGS,
        "/scim/v2/ServiceProviderConfig",
        env=dict(env, BENCH_PEER_TOKEN=PEER_TOKEN),
    )
    peer_chosen = [s for s in all_scenarios if "peer" in s.targets]
    results["targets"]["peer"] = run_target(
        "peer", peer_server, "/scim/v2", PEER_TOKEN, peer_chosen, size, logs
    )

    print("floor (bare Django view):", flush=True)
    floor_bytes = report.reference_bytes(results)
    results["floor_pad_bytes"] = floor_bytes
    floor_server = Server(
        "floor",
        "bench.floor.settings",
        "/floor/v2/Users",
        env=dict(env, BENCH_FLOOR_BYTES=str(floor_bytes)),
    )
    floor_chosen = [s for s in all_scenarios if "floor" in s.targets]
    results["targets"]["floor"] = run_target(
        "floor", floor_server, "/floor/v2", "none", floor_chosen, size, logs
    )
    results["timings"]["total_s"] = time.perf_counter() - started

    # Smoke runs prove the bench still works; only full runs are results worth keeping.
    out = RESULTS / "smoke" if args.smoke else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    document = json.dumps(results, indent=2)  # scenario order is the order
    (out / f"{stamp}.json").write_text(document)
    (out / "latest.json").write_text(document)
    print(report.ratio_table(results))
    if not args.no_docs:
        report.write_docs(results, ROOT / "docs")
    problems = check_run(results)
    for problem in problems:
        print(f"bench: {problem}")
    print(f"bench: done in {results['timings']['total_s']:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
