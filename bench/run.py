"""The whole bench in one run on one machine: build the data set, copy it to the peer, serve
the portal, the peer and the floor under gunicorn side by side, load them batch by batch in
turn, and write bench/results/<timestamp>.json and docs/benchmarks.md.

    python -m bench.run                 # 100,000 users (make bench)
    python -m bench.run --smoke         # 1,000 users, quick (make bench-smoke)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

from bench import dataset, report, scenarios
from bench.load import (
    Measurement,
    Scenario,
    Target,
    combined,
    failure,
    new_client,
    run_scenario,
    summarize,
)
from bench.peer_data import copy_to_peer
from bench.servers import (
    ROOT,
    ForkedServer,
    Server,
    cpu_seconds_between,
    cpu_ticks,
    postgres_pids,
    run_environment,
)

RESULTS = ROOT / "bench" / "results"
CONCURRENCY = (1, 8)
PEER_DATABASE = "postgres://postgres@127.0.0.1:5432/bench_peer"
PEER_TOKEN = "bench-peer-token"
PEER_SETTINGS = "bench.peers.djscim.settings"
SCIM2_SERVER_TOKEN = "bench-scim2-server-token"
# The lookups every target must answer without an error for the smoke run to pass.
REQUIRED = ("lookup_username", "lookup_external_id", "lookup_email")
# A target whose lookup may be cut without the run being wrong: scim2-server walks every
# user for the e-mail filter, seconds each at 100,000, so eight at once outlast the batch.
# How slow it is is the measurement; an error from it is still a problem.
MAY_BE_CUT = frozenset({scenarios.SCIM2_SERVER})
# How many of a lookup's calls the floor's response size is averaged over: the first
# person of the data set belongs to every large group, so one call alone is an outlier.
REFERENCE_CALLS = 20
# Each batch is sent in this many rounds, the targets taking turns (measure).
ROUNDS = 3


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


@dataclass
class Running:
    """A target served for the whole run, and the figures of its batches so far."""

    server: Server
    target: Target
    scenarios: dict[str, Any] = field(default_factory=dict)

    def restart(self) -> None:
        self.server.restart()
        path = urlsplit(self.target.base_url).path
        self.target = replace(self.target, base_url=self.server.origin + path)


async def batch(
    running: Running,
    scenario: Scenario,
    *,
    concurrency: int,
    first_index: int,
    requests: int,
    max_seconds: float,
) -> Measurement:
    """One round of a scenario on one target, with its workers' memory and CPU."""
    server = running.server
    server.reset_peak_memory()
    workers_before, database_before = server.worker_cpu_ticks(), cpu_ticks(postgres_pids())
    async with new_client(concurrency) as client:
        measurement = await run_scenario(
            client,
            running.target,
            scenario,
            concurrency=concurrency,
            first_index=first_index,
            max_seconds=max_seconds,
            requests=requests,
        )
    measurement.server_cpu_s = cpu_seconds_between(workers_before, server.worker_cpu_ticks())
    # Every PostgreSQL process on the machine, whoever it serves: a figure that holds only
    # while nothing but this run uses the database server. The targets keep their
    # connections (CONN_MAX_AGE), so their backends live through the batch and are counted.
    measurement.db_cpu_s = cpu_seconds_between(database_before, cpu_ticks(postgres_pids()))
    measurement.peak_memory_kib = server.peak_memory_kib()
    if measurement.cut:
        running.restart()
    return measurement


def shares(requests: int) -> list[int]:
    """How many of a batch's requests each round sends, as even as they come; a batch of
    fewer requests than rounds has fewer rounds."""
    whole, rest = divmod(requests, ROUNDS)
    return [whole + (1 if number < rest else 0) for number in range(min(ROUNDS, requests))]


async def measure(
    running: dict[str, Running], all_scenarios: list[Scenario], max_seconds: float
) -> None:
    """Each scenario at each concurrency on every target that serves it, in rounds that
    take turns: portal, peer, floor, then again. The shared machine's speed drifts from one
    minute, and even one second, to the next; batches a ratio compares are taken in turns
    over the same seconds, not a whole target's scenario list apart."""
    for scenario in all_scenarios:
        serving = {name: each for name, each in running.items() if name in scenario.targets}
        for each in serving.values():
            each.scenarios[scenario.key] = {"title": scenario.title, "group": scenario.group}
        limit = (scenario.max_seconds or max_seconds) / ROUNDS
        for concurrency in CONCURRENCY:
            # Writes never repeat a call: each round, and the second level, continue the
            # numbering where the one before stopped.
            first_index = 0 if concurrency == 1 else scenario.requests
            parts: dict[str, list[Measurement]] = {name: [] for name in serving}
            for share in shares(scenario.requests):
                for name, each in serving.items():
                    part = await batch(
                        each,
                        scenario,
                        concurrency=concurrency,
                        first_index=first_index,
                        requests=share,
                        max_seconds=limit,
                    )
                    parts[name].append(part)
                first_index += share
            for name, each in serving.items():
                each.scenarios[scenario.key][f"c{concurrency}"] = summarize(combined(parts[name]))
        print(f"  {scenario.key:26} {progress(serving, scenario.key)}", flush=True)


def progress(serving: dict[str, Running], key: str) -> str:
    """Each target's p50 at concurrency 1 and its errors at both levels."""
    parts = []
    for name, each in serving.items():
        c1, c8 = each.scenarios[key]["c1"], each.scenarios[key]["c8"]
        parts.append(f"{name} {c1['p50_ms'] or 0:7.1f} ms, errors {c1['errors']}+{c8['errors']}")
    return " | ".join(parts)


def portal_token(env: dict[str, str]) -> str:
    """A SCIM bearer token from the portal's own command; it prints the token last."""
    output = manage(env, "scim_token", "create", f"bench-{int(time.time())}")
    return output.strip().splitlines()[-1].strip()


def portal_unavailable(server: Server) -> str | None:
    """Why the portal cannot be measured, or None when its SCIM is there."""
    probe = httpx.get(server.origin + "/scim/v2/ServiceProviderConfig", timeout=10.0)
    # RFC 7644 lets a provider ask for a token here too: 401 and 403 mean SCIM is there.
    if probe.status_code in (200, 401, 403):
        return None
    return f"/scim/v2/ServiceProviderConfig answered {probe.status_code}"


def reference_bytes(targets: list[Target], scenario: Scenario) -> int:
    """The response size the floor pads to: the mean size of the first target's (the
    portal's, else the peer's) right answers to the scenario's first calls. The floor
    starts before any batch, so it cannot wait for the mean size a batch measures."""
    for target in targets:
        sizes = []
        for number in range(REFERENCE_CALLS):
            call = scenario.call(number)
            try:
                response = httpx.request(
                    call.method, target.base_url + call.path, headers=target.headers, timeout=30.0
                )
            except httpx.HTTPError:
                break
            if failure(response, scenario.check) is not None:
                break
            sizes.append(len(response.content))
        else:
            return round(sum(sizes) / len(sizes))
    return 0


def measure_targets(
    env: dict[str, str],
    all_scenarios: list[Scenario],
    size: scenarios.Size,
    logs: Path,
    results: dict[str, Any],
    *,
    lookup: Scenario,
) -> None:
    """Serve the portal, the peer and the floor for the whole run, measure them batch by
    batch, and stop them whatever happens. The floor pads its answers to the size of the
    portal's and the peer's answers to `lookup`."""
    running: dict[str, Running] = {}
    with contextlib.ExitStack() as stack:

        def serve(server: Server, base_path: str, token: str) -> Running:
            stack.callback(server.stop)
            server.start(logs)
            return Running(server, Target(server.name, server.origin + base_path, token))

        print("starting portal, peer (django-scim2), floor (bare Django view)", flush=True)
        # Any answer means it serves: the SCIM path answers 404 until SCIM is there.
        portal = serve(
            Server("portal", "bench.settings_portal", "/scim/v2/ServiceProviderConfig", env=env),
            "/scim/v2",
            token="",
        )
        reason = portal_unavailable(portal.server)
        if reason:
            results["targets"]["portal"] = {"available": False, "reason": reason}
            portal.server.stop()
            print(f"  portal not available: {reason}", flush=True)
        else:
            token = portal_token(run_environment("portal.settings", env))
            running["portal"] = replace(portal, target=replace(portal.target, token=token))
        peer_env = dict(env, BENCH_PEER_TOKEN=PEER_TOKEN)
        peer = Server("peer", PEER_SETTINGS, "/scim/v2/ServiceProviderConfig", env=peer_env)
        running["peer"] = serve(peer, "/scim/v2", PEER_TOKEN)
        if any(scenarios.SCIM2_SERVER in scenario.targets for scenario in all_scenarios):
            # Loaded from the portal's database before the portal has written anything.
            print("starting scim2-server (loading the data set into its memory)", flush=True)
            step = time.perf_counter()
            running[scenarios.SCIM2_SERVER] = serve(scim2_server(env), "/v2", SCIM2_SERVER_TOKEN)
            results["timings"]["scim2_server_load_s"] = time.perf_counter() - step
        floor_bytes = reference_bytes([each.target for each in running.values()], lookup)
        results["floor_pad_bytes"] = floor_bytes
        floor_env = dict(env, BENCH_FLOOR_BYTES=str(floor_bytes))
        floor = Server("floor", "bench.floor.settings", "/floor/v2/Users", env=floor_env)
        running["floor"] = serve(floor, "/floor/v2", "none")
        asyncio.run(measure(running, all_scenarios, size.max_seconds))
    for name, each in running.items():
        results["targets"][name] = {"available": True, "scenarios": each.scenarios}


def scim2_server(env: dict[str, str]) -> ForkedServer:
    return ForkedServer(
        scenarios.SCIM2_SERVER,
        "",
        "/v2/ServiceProviderConfig",
        env=env,
        module="bench.peers.scim2server",
        arguments=(
            "--bearer-token", SCIM2_SERVER_TOKEN, "--database", env["DATABASE_URL"],
        ),
    )  # fmt: skip


def check_run(results: dict[str, Any]) -> list[str]:
    """What makes a run wrong: a target that did not come up, answered a single lookup
    with an error, or answered none of its requests (unless it may be cut, and was)."""
    problems = []
    for name, target in results["targets"].items():
        if not target.get("available"):
            problems.append(f"{name}: not available")
            continue
        for key in REQUIRED:
            for level, figures in target["scenarios"].get(key, {}).items():
                if not level.startswith("c"):
                    continue
                cut = figures.get("cut") and name in MAY_BE_CUT
                if figures["errors"] or not (figures["completed"] or cut):
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
    parser.add_argument(
        "--only",
        metavar="KEYS",
        help="measure only these scenarios (comma-separated keys, e.g. lookup_email), to"
        " see the effect of a change in a minute; kept in bench/results/partial/, not docs/",
    )
    args = parser.parse_args(argv)
    # A plain SIGTERM unwinds like an error, so that the targets' gunicorns are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    users = args.users or (1_000 if args.smoke else dataset.FULL_USERS)
    size = scenarios.SMOKE if args.smoke else scenarios.FULL
    plan = dataset.Plan(users=users, seed=args.seed)
    all_scenarios = scenarios.build(plan, size, run_tag=f"new{stamp.lower()}")
    lookup = next(s for s in all_scenarios if s.key == "lookup_username")
    if args.only:
        chosen = {key.strip() for key in args.only.split(",")}
        unknown = chosen - {scenario.key for scenario in all_scenarios}
        if unknown:
            print(f"bench: no scenario {', '.join(sorted(unknown))}")
            return 2
        all_scenarios = [scenario for scenario in all_scenarios if scenario.key in chosen]

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
            # The targets' keyring: the data set's subject keys are wrapped with it.
            run_environment("portal.settings", urls),
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
            # The machine is shared: what else ran on it shows in its load.
            "load_average": {"start": list(os.getloadavg())},
        },
        "limits": {
            "max_seconds_per_batch": size.max_seconds,
            "max_seconds_per_bulk_batch": size.bulk_max_seconds,
            "rounds_per_batch": ROUNDS,
            "full_import_pages": None if args.smoke else scenarios.FULL_IMPORT_PAGES,
        },
        "timings": timings,
        "targets": {},
    }

    measure_targets(env, all_scenarios, size, logs, results, lookup=lookup)
    results["timings"]["total_s"] = time.perf_counter() - started
    results["machine"]["load_average"]["end"] = list(os.getloadavg())
    previous = report.previous_run(RESULTS, results)
    results["previous_run"] = previous["started"] if previous else None

    # Smoke runs prove the bench still works; only full runs are results worth keeping.
    out = RESULTS / "smoke" if args.smoke else RESULTS / "partial" if args.only else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    document = json.dumps(results, indent=2)  # scenario order is the order
    (out / f"{stamp}.json").write_text(document)
    (out / "latest.json").write_text(document)
    print(report.ratio_table(results), report.CPU_TITLE, report.cpu_table(results), sep="\n\n")
    if not args.no_docs and not args.only:
        report.write_docs(results, ROOT / "docs", previous)
    problems = check_run(results)
    for problem in problems:
        print(f"bench: {problem}")
    print(f"bench: done in {results['timings']['total_s']:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
