"""Profile one bench scenario with pyinstrument, in-process, against the bench database:
the portal's settings with DEBUG off and the bench's query counter, called through
Django's test client (no gunicorn, no load client, so the profile shows the portal only).

    python -m bench.profile user_post --requests 60          # ms per request and queries
    python -m bench.profile user_post --requests 60 --show   # and the call tree
    python -m bench.profile user_put_okta --sql              # and one request's statements

Run it after `make bench` (or `python -m bench.dataset --users 100000 --reset`) has loaded
the data set into DATABASE_URL. Writes create users tagged with the time, as a run does.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from typing import Any

from bench.servers import run_environment

SCIM_JSON = "application/scim+json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one bench scenario in-process.")
    parser.add_argument("scenario", help="a scenario key, for example lookup_username")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--users", type=int, default=100_000, help="the loaded data set's size")
    parser.add_argument("--show", action="store_true", help="print pyinstrument's call tree")
    parser.add_argument(
        "--sql", action="store_true", help="print the statements of one request, per database"
    )
    args = parser.parse_args(argv)

    os.environ.update(run_environment("bench.settings_portal", {}))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from pyinstrument import Profiler

    from bench import dataset, scenarios

    stamp = int(time.time())
    output = io.StringIO()
    call_command("scim_token", "create", f"profile-{stamp}", stdout=output)
    token = output.getvalue().strip().splitlines()[-1].strip()
    http = Client(
        HTTP_AUTHORIZATION=f"Bearer {token}", SERVER_NAME="127.0.0.1", REMOTE_ADDR="127.0.0.1"
    )
    plan = dataset.Plan(users=args.users, seed=1)
    built = {s.key: s for s in scenarios.build(plan, scenarios.FULL, f"profile{stamp}")}
    if args.scenario not in built:
        parser.error(f"choose one of {', '.join(built)}")
    scenario = built[args.scenario]

    def call(n: int) -> Any:
        planned = scenario.call(n)
        send = getattr(http, planned.method.lower())
        url = "/scim/v2" + planned.path
        if planned.body is None:
            return send(url)
        return send(url, data=json.dumps(planned.body), content_type=SCIM_JSON)

    # Writes must not repeat a call of an earlier profile: start somewhere new.
    first = random.randrange(10**6, 10**8)
    for n in range(first - 3, first):  # warm: imports, the token's first resolution
        call(n)
    profiler = Profiler(interval=0.0005)
    queries: set[str] = set()
    started = time.perf_counter()
    with profiler:
        for n in range(first, first + args.requests):
            response = call(n)
            if response.status_code >= 400:
                print(f"{args.scenario}: answered {response.status_code}", file=sys.stderr)
                return 1
            queries.add(response.get("X-Bench-Queries", "?"))
    elapsed = time.perf_counter() - started
    print(
        f"{args.scenario}: {args.requests} requests, "
        f"{1000 * elapsed / args.requests:.1f} ms each, queries {sorted(queries)}"
    )
    if args.show:
        print(profiler.output_text(unicode=False, color=False))
    if args.sql:
        print_statements(lambda: call(first + args.requests))
    return 0


def print_statements(request: Any) -> None:
    """The statements one request runs on each database, numbered: what the bench's
    X-Bench-Queries header counts, one by one."""
    from contextlib import ExitStack

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in connections
        }
        request()
    for alias, context in captured.items():
        print(f"-- {alias}: {len(context.captured_queries)} statements")
        for number, query in enumerate(context.captured_queries, 1):
            print(f"{number:3}. {query['sql'][:300]}")


if __name__ == "__main__":
    sys.exit(main())
