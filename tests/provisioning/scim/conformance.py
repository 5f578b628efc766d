"""scim2-tester, python-scim's conformance suite, run against a portal.

By hand, against `make run` (see docs/identity-providers.md):

    .venv/bin/python -m tests.provisioning.scim.conformance http://127.0.0.1:8000/scim/v2 TOKEN

It prints one line per check that did not succeed and a count per status, and exits 1 if
any check failed (an ERROR or a CRITICAL). It creates users and groups, and deletes them
again when the checks are done; run it against a portal with demo data, never production.
"""

import argparse
import sys
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server

FAILED = frozenset({Status.ERROR, Status.CRITICAL})
FINE = frozenset({Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE})


def run_checks(base_url: str, token: str) -> list[CheckResult]:
    """Every check of scim2-tester, the server described only by its own discovery."""
    http = httpx2.Client(
        base_url=base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    with http:
        return check_server(SyncSCIMClient(http))


def failures(results: list[CheckResult]) -> list[CheckResult]:
    return [result for result in results if result.status in FAILED]


def describe(result: CheckResult) -> str:
    where = " ".join(part for part in (result.resource_type, result.title) if part)
    reason = (result.reason or "").splitlines()[0] if result.reason else ""
    return f"{result.status.name} {where}: {reason}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="The SCIM base, e.g. http://127.0.0.1:8000/scim/v2")
    parser.add_argument("token", help="A bearer token from `manage.py scim_token create`")
    arguments = parser.parse_args(argv)
    results = run_checks(arguments.base_url, arguments.token)
    for result in results:
        if result.status not in FINE:
            print(describe(result))
    counts = Counter(result.status.name for result in results)
    print(", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
