"""A load run at an identity provider's pace (issue 18): the production-shaped portal
(gunicorn on PostgreSQL, a Celery worker with beat on Redis) and a downstream application
(scim2-server behind Slack's enabled connector), driven for a set time by SCIM writes shaped
like Entra ID's and Okta's at a fixed rate, while an HR staff member works in the admin
pages. It samples the outbox, the processes' memory and Redis as it goes; at the end it waits
for the outbox to drain, checks that every acknowledged write reached the downstream, and
runs `audit_verify`.

    python -m bench.idp_load --minutes 10 --rate 20     # make bench-load
    python -m bench.idp_load --seconds 15 --rate 2 --users 200 --no-docs   # the smoke test's

It runs in databases of its own (named after the configured ones plus --database-suffix),
dropped and created again at each start. A benchmark, not a test: it writes
bench/results/idp_load/<time>.json and its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import random
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import psycopg
import redis
from django_otp.oath import totp

from bench import dataset, report
from bench.load import Call, Target, new_client, percentile
from bench.run import BenchError, commands, ensure_database, manage, with_suffix
from bench.servers import (
    ROOT,
    WORKERS,
    Server,
    children,
    free_port,
    postgres_pids,
    rss_kib,
    run_environment,
)

RESULTS = ROOT / "bench" / "results" / "idp_load"
SECTION_START = "<!-- bench:idp-load -->"
SECTION_END = "<!-- bench:idp-load:end -->"
SECTION_TITLE = "Load at an identity provider's pace (issue 18)"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
OKTA_HEADERS = {"User-Agent": "Okta SCIM Client 1.0.0", "Content-Type": "application/json"}
# seed_demo's bearer token for its local stand-in for Slack.
DOWNSTREAM_TOKEN = "demo-downstream-token"
CELERY_CONCURRENCY = 2
# The writes' shares of the rate: creates outnumber deactivations and deletions, so that
# the directory grows slowly, as a tenant does.
MIX = (
    ("POST /Users", 24),
    ("PATCH /Users (Entra)", 18),
    ("PUT /Users (Okta)", 18),
    ("PATCH /Groups members", 20),
    ("deactivate (active=false)", 12),
    ("DELETE /Users (Entra)", 8),
)
ADMIN_KINDS = ("admin onboard", "admin move", "admin offboard")
ADMIN_PAGES = "admin pages (GET, preview, sign-in)"
MAPPED_GROUPS = 4
# Requests in flight at most, as a provisioning client keeps a handful open: past it the
# driver is behind the rate and says so, rather than queueing requests in front of gunicorn
# and measuring the queue.
MAX_IN_FLIGHT = 8
ERRORS_KEPT = 50


class RunError(Exception):
    """The load run could not set itself up."""


# --- The processes ---------------------------------------------------------------------


@dataclass
class Process:
    """A process of the run's own, stopped whatever happens."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter's tools)
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        if not self.alive():
            return []
        assert self.process is not None
        return [self.process.pid, *children(self.process.pid)]

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def wait_until(ready: Callable[[], bool], seconds: float, what: str, process: Process) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process.alive():
            raise RunError(f"{what}: the process exited; see {process.log}")
        if ready():
            return
        time.sleep(0.25)
    raise RunError(f"{what} within {seconds:.0f} s; see {process.log}")


def start_downstream(logs: Path) -> tuple[Process, str]:
    port = free_port()
    downstream = Process(
        "downstream",
        [tool("scim2-server"), "--port", str(port), "--bearer-token", DOWNSTREAM_TOKEN],
        dict(os.environ),
        logs / "downstream.log",
    )
    downstream.start()

    def listening() -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v2/ServiceProviderConfig", timeout=1.0)
        except httpx.HTTPError:
            return False
        return True

    wait_until(listening, 30, "scim2-server did not answer", downstream)
    return downstream, f"http://127.0.0.1:{port}/v2"


def start_worker(env: dict[str, str], logs: Path) -> Process:
    """One Celery worker with beat embedded, as `make run` and the operations guide start
    them: the outbox relay's sweep and every periodic job run."""
    log = logs / "worker.log"
    worker = Process(
        "worker",
        [
            tool("celery"), "-A", "portal", "worker", "--beat",
            "--concurrency", str(CELERY_CONCURRENCY), "--loglevel", "info",
            "--schedule", str(logs / "celerybeat-schedule"),
        ],
        env,
        log,
    )  # fmt: skip
    worker.start()
    wait_until(lambda: b" ready." in log.read_bytes(), 90, "the worker was not ready", worker)
    return worker


# --- Signing in and filling the admin's forms, as a browser does --------------------------


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {name for name, _ in self.fields} | set(self.options)

    def set(self, name: str, value: str) -> None:
        self.fields = [(n, v) for n, v in self.fields if n != name] + [(name, value)]

    def choose(self, name: str, label: str) -> None:
        """Select the option a person would pick by its label."""
        for value, text in self.options.get(name, []):
            if text.strip() == label:
                self.set(name, value)
                return
        raise RunError(f"no option {label!r} in {name}")


class FormParser(HTMLParser):
    """The forms of a page with what a browser would submit from them: inputs (checked
    boxes only), selected options (the first when none is), textareas; no buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None
        self._selected: list[str] = []
        self._option: list[str] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(action=attr.get("action", ""))
            self.forms.append(self._form)
        if self._form is None or (tag != "form" and "name" not in attr and tag != "option"):
            return
        name = attr.get("name", "")
        if tag == "input":
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attr:
                return
            self._form.fields.append((name, attr.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = (name, "multiple" in attr)
            self._selected = []
            self._form.options[name] = []
        elif tag == "option" and self._select is not None:
            self._option = [attr.get("value", ""), "", "1" if "selected" in attr else ""]
        elif tag == "textarea":
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] += data
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value, text, selected = self._option
            assert self._form is not None
            self._form.options[self._select[0]].append((value, text))
            if selected:
                self._selected.append(value)
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple = self._select
            options = self._form.options[name]
            chosen = self._selected or ([] if multiple or not options else [options[0][0]])
            self._form.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_with(page: str, field_name: str) -> Form:
    parser = FormParser()
    parser.feed(page)
    for form in parser.forms:
        if field_name in form.names():
            return form
    raise RunError(f"no form with the field {field_name!r} on the page")


class AdminSession:
    """A staff member's browser: their cookies kept by hand, since production marks them
    Secure and the run speaks plain HTTP on loopback."""

    def __init__(self, origin: str, recorder: Recorder) -> None:
        self.origin = origin
        self.recorder = recorder
        self.cookies: dict[str, str] = {}
        self.http = httpx.AsyncClient(
            base_url=origin, timeout=httpx.Timeout(120.0), trust_env=False
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def send(
        self,
        kind: str,
        method: str,
        path: str,
        data: list[tuple[str, str]] | None = None,
        *,
        expect: int,
    ) -> httpx.Response | None:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        content = None
        if data is not None:
            headers["Referer"] = self.origin + path
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            content = urlencode(data)
        sent = time.perf_counter()
        try:
            response = await self.http.request(method, path, content=content, headers=headers)
        except httpx.HTTPError as error:
            self.recorder.error(kind, None, f"{type(error).__name__}: {error}")
            return None
        elapsed_ms = (time.perf_counter() - sent) * 1000
        for cookie in response.cookies.jar:
            self.cookies[cookie.name] = cookie.value or ""
        self.http.cookies.clear()
        if response.status_code != expect:
            self.recorder.error(kind, response.status_code, response.text)
            return None
        self.recorder.latency(kind, elapsed_ms)
        return response

    async def sign_in(self, username: str, password: str, secret: str) -> None:
        """Through the two-factor login form: the password, then a TOTP code."""
        path = "/admin/login/?next=/admin/"
        page = await self.send(ADMIN_PAGES, "GET", path, expect=200)
        if page is None:
            raise RunError("the login page did not answer")
        form = form_with(page.text, "auth-username")
        form.set("auth-username", username)
        form.set("auth-password", password)
        step = await self.send(ADMIN_PAGES, "POST", path, form.fields, expect=200)
        if step is None:
            raise RunError("the password step failed")
        form = form_with(step.text, "token-otp_token")
        form.set("token-otp_token", f"{totp(base64.b32decode(secret)):06d}")
        if await self.send(ADMIN_PAGES, "POST", path, form.fields, expect=302) is None:
            raise RunError("the TOTP step failed")


# --- Recording ---------------------------------------------------------------------------


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    error_list: list[dict[str, Any]] = field(default_factory=list)
    late: int = 0

    def latency(self, kind: str, milliseconds: float) -> None:
        self.latencies.setdefault(kind, []).append(milliseconds)

    def error(self, kind: str, status: int | None, body: str) -> None:
        self.errors[kind] += 1
        self.latencies.setdefault(kind, [])
        if len(self.error_list) < ERRORS_KEPT:
            self.error_list.append({"kind": kind, "status": status, "body": body[:600]})

    def summary(self) -> dict[str, Any]:
        def figures(values: list[float], errors: int) -> dict[str, Any]:
            return {
                "requests": len(values) + errors,
                "errors": errors,
                "p50_ms": percentile(values, 0.50),
                "p95_ms": percentile(values, 0.95),
                "p99_ms": percentile(values, 0.99),
            }

        kinds = {
            kind: figures(values, self.errors[kind])
            for kind, values in sorted(self.latencies.items())
        }
        everything = [value for values in self.latencies.values() for value in values]
        return {"kinds": kinds, "overall": figures(everything, sum(self.errors.values()))}


# --- The identity providers' writes ------------------------------------------------------


@dataclass
class Account:
    """What the identity provider last set on a user it created, once acknowledged."""

    id: str
    user_name: str
    idp: str
    given: str
    family: str
    title: str
    external_id: str
    active: bool = True
    deleted: bool = False
    # A write that failed may or may not have happened: its state is not checked.
    uncertain: bool = False


@dataclass
class Directory:
    """The accounts the run made, and which are in the middle of a write."""

    tag: str
    groups: dict[str, list[str]]
    accounts: dict[str, Account] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    members: dict[str, set[str]] = field(default_factory=dict)
    created: int = 0

    def pick(self, rng: random.Random, idp: str | None, *, active: bool | None) -> Account | None:
        free = [
            account
            for account in self.accounts.values()
            if account.id not in self.busy
            and not account.deleted
            and account.idp != "admin"
            and (idp is None or account.idp == idp)
            and (active is None or account.active is active)
        ]
        return rng.choice(free) if free else None


def user_body(account: Account) -> dict[str, Any]:
    if account.idp == "entra":  # Create User as Microsoft's tutorial documents it
        return {
            "schemas": [USER, ENTERPRISE],
            "externalId": account.external_id,
            "userName": account.user_name,
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": account.user_name}],
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": f"{account.given} {account.family}",
                "familyName": account.family,
                "givenName": account.given,
            },
            "title": account.title,
            "roles": [],
        }
    return {  # Okta's create, with the placeholder password it always sends
        "schemas": [USER],
        "userName": account.user_name,
        "name": {"givenName": account.given, "familyName": account.family},
        "emails": [{"primary": True, "value": account.user_name, "type": "work"}],
        "displayName": f"{account.given} {account.family}",
        "externalId": account.external_id,
        "title": account.title,
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }


@dataclass
class Write:
    kind: str
    idp: str
    call: Call
    expect: frozenset[int]
    done: Callable[[httpx.Response], None]
    touched: Account | None = None


def next_write(directory: Directory, rng: random.Random, number: int) -> Write:
    """The next write in the mix; one that has nobody to act on yet is a create."""
    kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
    idp = "entra" if rng.random() < 0.5 else "okta"
    if kind == "PATCH /Users (Entra)":
        idp = "entra"
    elif kind == "PUT /Users (Okta)":
        idp = "okta"
    elif kind == "DELETE /Users (Entra)":
        idp = "entra"  # Okta never deletes: it deactivates
    target = None
    if kind == "PATCH /Groups members":
        write = group_write(directory, rng, idp)
        if write is not None:
            return write
    elif kind != "POST /Users":
        wanted: bool | None = None if kind == "DELETE /Users (Entra)" else True
        target = directory.pick(rng, idp, active=wanted)
    if target is None:
        return create_write(directory, idp, number)
    return user_write(kind, idp, target, number)


def user_write(kind: str, idp: str, target: Account, number: int) -> Write:
    """A change to one of the provider's users, in that provider's shape."""
    if kind == "PATCH /Users (Entra)":
        title, family = f"Title {number}", f"Family{number}"
        body = {"schemas": [PATCH_OP], "Operations": [
            {"op": "Replace", "path": "title", "value": title},
            {"op": "Replace", "path": "name.familyName", "value": family},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Research"},
            {"op": "Add", "path": "displayName", "value": f"{target.given} {family}"},
        ]}  # fmt: skip

        def patched(_: httpx.Response, account: Account = target) -> None:
            account.title, account.family = title, family

        return Write(kind, idp, Call("PATCH", f"/Users/{target.id}", body),
                     frozenset({200, 204}), patched, target)  # fmt: skip
    if kind == "PUT /Users (Okta)":
        given, title = f"Given{number}", f"Put {number}"
        body = {
            "schemas": [USER],
            "id": target.id,
            "userName": target.user_name,
            "name": {"givenName": given, "familyName": target.family},
            "emails": [{"primary": True, "value": target.user_name, "type": "work",
                        "display": target.user_name}],
            "title": title,
            "active": True,
            "groups": [],
            "meta": {"resourceType": "User"},
        }  # fmt: skip

        def put(_: httpx.Response, account: Account = target) -> None:
            account.given, account.title = given, title

        return Write(kind, idp, Call("PUT", f"/Users/{target.id}", body), frozenset({200}),
                     put, target)  # fmt: skip
    if kind == "deactivate (active=false)":
        operation: dict[str, Any] = (
            {"op": "Replace", "path": "active", "value": False}
            if idp == "entra"
            else {"op": "replace", "value": {"active": False}}
        )
        body = {"schemas": [PATCH_OP], "Operations": [operation]}

        def deactivated(_: httpx.Response, account: Account = target) -> None:
            account.active = False

        return Write(kind, idp, Call("PATCH", f"/Users/{target.id}", body),
                     frozenset({200, 204}), deactivated, target)  # fmt: skip

    def deleted(_: httpx.Response, account: Account = target) -> None:
        account.deleted, account.active = True, False

    return Write(kind, idp, Call("DELETE", f"/Users/{target.id}"), frozenset({204}), deleted,
                 target)  # fmt: skip


def create_write(directory: Directory, idp: str, number: int) -> Write:
    directory.created += 1
    user_name = f"{directory.tag}-{idp}-{number}@{dataset.DOMAIN}"
    external_id = str(uuid.uuid4()) if idp == "entra" else f"00u{number:017d}"
    pending = Account("", user_name, idp, "Load", f"User{number}", "New", external_id)

    def created(response: httpx.Response) -> None:
        pending.id = str(response.json()["id"])
        directory.accounts[pending.id] = pending

    return Write("POST /Users", idp, Call("POST", "/Users", user_body(pending)),
                 frozenset({201}), created)  # fmt: skip


def group_write(directory: Directory, rng: random.Random, idp: str) -> Write | None:
    """Add one of the provider's active users to one of its groups, or take out one it
    added, in the provider's own PATCH shape."""
    group = rng.choice(directory.groups[idp])
    members = directory.members.setdefault(group, set())
    removable = [m for m in members if m not in directory.busy]
    candidate = directory.pick(rng, idp, active=True)
    adding = candidate is not None and candidate.id not in members
    if not adding and not removable:
        return None
    if adding and removable and rng.random() < 0.4:
        adding = False
    if adding:
        assert candidate is not None
        member = candidate
        value: dict[str, Any] = {"value": member.id}
        if idp == "okta":
            value["display"] = member.user_name
        operation: dict[str, Any] = {
            "op": "Add" if idp == "entra" else "add", "path": "members", "value": [value]
        }  # fmt: skip
    else:
        member = directory.accounts[rng.choice(removable)]
        operation = (
            {"op": "Remove", "path": "members", "value": [{"value": member.id}]}
            if idp == "entra"
            else {"op": "remove", "path": f'members[value eq "{member.id}"]'}
        )

    def changed(_: httpx.Response) -> None:
        (members.add if adding else members.discard)(member.id)

    body = {"schemas": [PATCH_OP], "Operations": [operation]}
    return Write("PATCH /Groups members", idp, Call("PATCH", f"/Groups/{group}", body),
                 frozenset({200, 204}), changed, member)  # fmt: skip


async def send_write(
    client: httpx.AsyncClient,
    targets: dict[str, Target],
    write: Write,
    directory: Directory,
    recorder: Recorder,
) -> None:
    target = targets[write.idp]
    headers = dict(target.headers)
    if write.idp == "okta":
        headers.update(OKTA_HEADERS)
    body = None if write.call.body is None else json.dumps(write.call.body)
    sent = time.perf_counter()
    try:
        response = await client.request(
            write.call.method, target.base_url + write.call.path, headers=headers, content=body
        )
    except httpx.HTTPError as error:
        recorder.error(write.kind, None, f"{type(error).__name__}: {error}")
        if write.touched is not None:
            write.touched.uncertain = True
        return
    finally:
        if write.touched is not None:
            directory.busy.discard(write.touched.id)
    elapsed_ms = (time.perf_counter() - sent) * 1000
    if response.status_code not in write.expect:
        recorder.error(write.kind, response.status_code, response.text)
        if write.touched is not None:
            write.touched.uncertain = True
        return
    recorder.latency(write.kind, elapsed_ms)
    write.done(response)


async def drive_scim(
    targets: dict[str, Target],
    directory: Directory,
    recorder: Recorder,
    *,
    rate: float,
    seconds: float,
    seed: int,
) -> None:
    """Open-loop arrivals at `rate` a second: a write starts on time whether or not the ones
    before it have been answered, as an identity provider's sync cycle does; past
    MAX_IN_FLIGHT unanswered the driver counts itself late and skips that write."""
    rng = random.Random(seed)
    interval = 1 / rate
    running: set[asyncio.Task[None]] = set()
    async with new_client(MAX_IN_FLIGHT) as client:
        started = time.perf_counter()
        number = 0
        while (due := started + number * interval) < started + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            number += 1
            if len(running) >= MAX_IN_FLIGHT:
                recorder.late += 1
                continue
            write = next_write(directory, rng, number)
            if write.touched is not None:
                directory.busy.add(write.touched.id)
            task = asyncio.create_task(send_write(client, targets, write, directory, recorder))
            running.add(task)
            task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running)


async def drive_admin(
    session: AdminSession, directory: Directory, *, every: float, seconds: float
) -> None:
    """HR's day, one action every `every` seconds: onboard a hire from the Engineering
    template, move them to Sales, offboard them; then the next hire."""
    started = time.perf_counter()
    step = 0
    hire: Account | None = None
    while time.perf_counter() - started < seconds:
        if step % 3 == 0:
            hire = await onboard(session, directory, step // 3)
        elif hire is not None and step % 3 == 1:
            if not await move(session, hire):
                hire = None
        elif hire is not None:
            await offboard(session, hire)
            hire = None
        step += 1
        await asyncio.sleep(max(0.0, started + step * every - time.perf_counter()))


async def onboard(session: AdminSession, directory: Directory, number: int) -> Account | None:
    path = "/admin/provisioning/roletemplate/onboard/"
    page = await session.send(ADMIN_PAGES, "GET", path, expect=200)
    if page is None:
        return None
    user_name = f"{directory.tag}-hire-{number}"
    form = form_with(page.text, "template")
    form.choose("template", "Engineering")
    for name, value in (("user_name", user_name), ("given_name", "Hire"),
                        ("family_name", f"Number{number}"),
                        ("email", f"{user_name}@{dataset.DOMAIN}")):  # fmt: skip
        form.set(name, value)
    preview = await session.send(ADMIN_PAGES, "POST", path, [*form.fields, ("action", "Preview")],
                                 expect=200)  # fmt: skip
    if preview is None:
        return None
    confirmed = form_with(preview.text, "template")
    done = await session.send(
        "admin onboard", "POST", path, [*confirmed.fields, ("action", "Confirm")], expect=302
    )
    if done is None:
        return None
    person_id = done.headers["Location"].rstrip("/").split("/")[-2]
    hire = Account(person_id, user_name, "admin", "Hire", f"Number{number}", "", "")
    directory.accounts[person_id] = hire
    return hire


async def move(session: AdminSession, hire: Account) -> bool:
    path = f"/admin/provisioning/person/{hire.id}/change/"
    page = await session.send(ADMIN_PAGES, "GET", path, expect=200)
    if page is None:
        return False
    form = form_with(page.text, "department")
    form.set("department", "Sales")
    form.set("title", "Account Executive")
    if await session.send("admin move", "POST", path, [*form.fields, ("_save", "Save")],
                          expect=302) is None:  # fmt: skip
        hire.uncertain = True
        return False
    hire.title = "Account Executive"
    return True


async def offboard(session: AdminSession, hire: Account) -> None:
    path = "/admin/provisioning/person/"
    page = await session.send(ADMIN_PAGES, "GET", f"{path}?q={hire.user_name}", expect=200)
    if page is None:
        return
    form = form_with(page.text, "action")
    form.set("action", "offboard")
    form.set("_selected_action", hire.id)
    confirmation = await session.send(ADMIN_PAGES, "POST", path, form.fields, expect=200)
    if confirmation is None:
        return
    form = form_with(confirmation.text, "reason")
    form.set("reason", "Leaves at the end of the load run")
    form.set("confirm_now", "on")
    if await session.send("admin offboard", "POST", path, form.fields, expect=302) is None:
        hire.uncertain = True
        return
    hire.active = False


# --- Sampling ----------------------------------------------------------------------------

OUTBOX_QUERY = """
SELECT count(*) FILTER (WHERE sent_at IS NULL AND delivered_at IS NULL),
       count(*) FILTER (WHERE delivered_at IS NULL),
       EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE delivered_at IS NULL)),
       count(*),
       count(*) FILTER (WHERE last_error LIKE 'failed: %%')
FROM compliance_outboxmessage
"""


@dataclass
class Sampler:
    """Every few seconds: the outbox (waiting for the broker, not yet done, the age of the
    oldest not done), the resident memory of each process kind, Redis's, and the load."""

    database_url: str
    databases: list[str]
    redis_url: str
    portal: Server
    worker: Process
    every: float
    samples: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self, phase: str) -> dict[str, Any]:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            row = connection.execute(OUTBOX_QUERY).fetchone()
            assert row is not None
            ours = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", [self.databases]
            ).fetchall()
        waiting, undone, age, total, failed = row
        try:
            used = int(redis.Redis.from_url(self.redis_url).info("memory")["used_memory"])
        except redis.RedisError:
            used = None
        sample = {
            "t": time.time(),
            "phase": phase,
            "outbox_waiting": waiting,
            "outbox_undelivered": undone,
            "outbox_lag_s": float(age or 0),
            "outbox_total": total,
            "outbox_failed": failed,
            "gunicorn_workers_kib": rss_kib(self.portal.worker_pids()),
            "celery_kib": rss_kib(self.worker.pids()),
            "postgres_all_kib": rss_kib(postgres_pids()),
            "postgres_ours_kib": rss_kib(pid for (pid,) in ours),
            "redis_used_bytes": used,
            "load_1min": os.getloadavg()[0],
        }
        self.samples.append(sample)
        return sample

    def start(self, phase: str) -> None:
        def loop() -> None:
            while not self._stop.wait(self.every):
                with contextlib.suppress(psycopg.Error):
                    self.sample(phase)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._stop.clear()


def drain(sampler: Sampler, timeout: float) -> tuple[float | None, dict[str, Any]]:
    """Seconds until no outbox message is left undone, or None if it did not drain."""
    started = time.perf_counter()
    while True:
        last = sampler.sample("drain")
        if not last["outbox_undelivered"]:
            return time.perf_counter() - started, last
        if time.perf_counter() - started > timeout:
            return None, last
        time.sleep(1.0)


# --- The end: what reached the downstream --------------------------------------------------


def downstream_users(url: str) -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    headers = {"Authorization": f"Bearer {DOWNSTREAM_TOKEN}"}
    start = 1
    with httpx.Client(timeout=60.0, trust_env=False, headers=headers) as client:
        while True:
            page = client.get(f"{url}/Users", params={"startIndex": start, "count": 500})
            page.raise_for_status()
            document = page.json()
            resources = document.get("Resources") or []
            for user in resources:
                users[user["userName"]] = user
            start += len(resources)
            if not resources or start > document.get("totalResults", 0):
                return users


def delivery(database_url: str, url: str, directory: Directory) -> dict[str, Any]:
    """The portal's active people against the downstream's active accounts, and each account
    the run wrote against what it last acknowledged."""
    with psycopg.connect(database_url) as connection:
        active = {
            name for (name,) in connection.execute(
                "SELECT user_name FROM provisioning_person WHERE active"
            )
        }  # fmt: skip
    users = downstream_users(url)
    downstream_active = {name for name, user in users.items() if user.get("active")}
    mismatched = []
    checked = delivered = never = 0
    for account in directory.accounts.values():
        if account.uncertain:
            continue
        checked += 1
        user = users.get(account.user_name)
        problem = None
        if user is None and not account.active:
            # Deprovisioned before their first push ran: a push sends the person as they
            # are by then, so no account was ever made for them, which is what was meant.
            never += 1
        elif user is None:
            problem = "no account downstream"
        elif bool(user.get("active")) is not account.active:
            problem = f"active {user.get('active')}, expected {account.active}"
        elif account.active and account.title and user.get("title") != account.title:
            problem = f"title {user.get('title')!r}, expected {account.title!r}"
        elif account.active and (user.get("name") or {}).get("familyName") != account.family:
            problem = "familyName differs"
        if problem:
            mismatched.append({"user_name": account.user_name, "problem": problem})
        else:
            delivered += 1
    return {
        "portal_active": len(active),
        "downstream_active": len(downstream_active),
        "missing_downstream": sorted(active - downstream_active)[:20],
        "missing_downstream_count": len(active - downstream_active),
        "extra_downstream": sorted(downstream_active - active)[:20],
        "extra_downstream_count": len(downstream_active - active),
        "expected": checked,
        "delivered": delivered,
        "never_provisioned": never,
        "uncertain": sum(account.uncertain for account in directory.accounts.values()),
        "mismatched": mismatched[:20],
        "mismatched_count": len(mismatched),
    }


# --- Putting it together -------------------------------------------------------------------


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ensure_database(url)


def staff_secret(output: str, username: str) -> str:
    """The TOTP secret seed_demo prints on the staff member's line."""
    for line in output.splitlines():
        words = line.split()
        if len(words) > 2 and words[1] == username and "secret" in words:
            return words[words.index("secret") + 1]
    raise RunError(f"seed_demo printed no TOTP secret for {username}")


def prepare(env: dict[str, str], users: int, logs: Path) -> tuple[Process, str, str]:
    """Fresh databases, the data set, the demo organisation and its staff, a downstream
    with Slack's connector and mapped groups. Returns the downstream, its URL, and HR's
    TOTP secret."""
    for name in ("DATABASE_URL", "KEYSTORE_DATABASE_URL"):
        recreate_database(env[name])
    print("setup: migrating fresh databases", flush=True)
    commands(
        (["manage.py", "migrate", "--noinput"], env),
        (["manage.py", "migrate", "--noinput", "--database", "keys"], env),
    )
    production = run_environment("portal.settings", env)
    # Production's static files storage renders the admin only from collected files.
    commands(
        (["-m", "bench.dataset", "--users", str(users), "--reset"], production),
        (["manage.py", "collectstatic", "--noinput"], production),
    )
    downstream, url = start_downstream(logs)
    print("setup: the demo organisation, its downstream and the mapped groups", flush=True)
    seeded = manage(production, "seed_demo", "--downstream", url)
    commands((["-m", "bench.idp_setup", "--users", str(users), "--groups",
               str(MAPPED_GROUPS)], production))  # fmt: skip
    return downstream, url, staff_secret(seeded, "hr")


def token(env: dict[str, str], client: str) -> str:
    output = manage(env, "scim_token", "create", client)
    return output.strip().splitlines()[-1].strip()


def phase_summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    def spread(key: str) -> dict[str, Any]:
        values = [s[key] for s in samples if s.get(key) is not None]
        return {
            "start": values[0] if values else None,
            "end": values[-1] if values else None,
            "max": max(values) if values else None,
        }

    loaded = [s for s in samples if s["phase"] == "load"]
    lags = [s["outbox_lag_s"] for s in loaded]
    return {
        "outbox": {
            "lag_max_s": max(lags) if lags else None,
            "lag_p99_s": percentile(lags, 0.99),
            "lag_p50_s": percentile(lags, 0.50),
            "waiting_max": max((s["outbox_waiting"] for s in loaded), default=None),
            "undelivered_max": max((s["outbox_undelivered"] for s in loaded), default=None),
        },
        "memory": {
            key: spread(key)
            for key in (
                "gunicorn_workers_kib",
                "celery_kib",
                "postgres_all_kib",
                "postgres_ours_kib",
                "redis_used_bytes",
            )
        },
        "load_1min": spread("load_1min"),
    }


def problems_of(results: dict[str, Any]) -> list[str]:
    problems = []
    overall = results["requests"]["overall"]
    if overall["errors"]:
        problems.append(f"{overall['errors']} requests failed")
    if results["drain_s"] is None:
        problems.append("the outbox did not drain")
    down = results["downstream"]
    if down["delivered"] != down["expected"]:
        problems.append(f"delivered {down['delivered']} of {down['expected']} accounts")
    if down["missing_downstream_count"] or down["extra_downstream_count"]:
        problems.append(
            f"active sets differ: {down['missing_downstream_count']} missing downstream, "
            f"{down['extra_downstream_count']} extra"
        )
    if not results["audit_verify"]["ok"]:
        problems.append(f"audit_verify: {results['audit_verify']['output']}")
    return problems


def run(args: argparse.Namespace, env: dict[str, str], logs: Path) -> dict[str, Any]:
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    timings: dict[str, float] = {}
    step = time.perf_counter()
    with contextlib.ExitStack() as stack:
        downstream, url, secret = prepare(env, args.users, logs)
        stack.callback(downstream.stop)
        timings["setup_s"] = time.perf_counter() - step
        production = run_environment("portal.settings", env)
        worker = start_worker(production, logs)
        stack.callback(worker.stop)
        portal = Server("portal", "bench.settings_portal", "/scim/v2/ServiceProviderConfig",
                        env=env)  # fmt: skip
        stack.callback(portal.stop)
        portal.start(logs)
        base = portal.origin + "/scim/v2"
        targets = {
            "entra": Target("entra", base, token(production, "Entra ID")),
            "okta": Target("okta", base, token(production, "Okta")),
        }
        plan = dataset.Plan(users=args.users, seed=1)
        group_ids = [str(group) for group in dataset.group_ids(plan)[:MAPPED_GROUPS]]
        directory = Directory(
            tag=f"load{stamp.lower()}",
            groups={"entra": group_ids[: MAPPED_GROUPS // 2],
                    "okta": group_ids[MAPPED_GROUPS // 2 :]},
        )  # fmt: skip
        recorder = Recorder()
        databases = [urlsplit(env[n]).path.lstrip("/")
                     for n in ("DATABASE_URL", "KEYSTORE_DATABASE_URL")]  # fmt: skip
        sampler = Sampler(env["DATABASE_URL"], databases, env["REDIS_URL"], portal, worker,
                          args.sample_every)  # fmt: skip
        sampler.sample("start")
        load_started = time.time()
        sampler.start("load")

        async def both() -> None:
            session = AdminSession(portal.origin, recorder)
            try:
                await session.sign_in("hr", "demo-hr-portal", secret)
                await asyncio.gather(
                    drive_scim(targets, directory, recorder, rate=args.rate, seconds=seconds,
                               seed=args.seed),
                    drive_admin(session, directory, every=args.admin_every, seconds=seconds),
                )  # fmt: skip
            finally:
                await session.close()

        print(f"load: {seconds:.0f} s at {args.rate:g} writes/s, an admin action every "
              f"{args.admin_every:g} s", flush=True)  # fmt: skip
        asyncio.run(both())
        load_s = time.time() - load_started
        sampler.stop()
        print(f"load: done in {load_s:.0f} s; waiting for the outbox to drain", flush=True)
        drain_s, _ = drain(sampler, args.drain_timeout)
        sampler.sample("end")
        delivered = delivery(env["DATABASE_URL"], url, directory)
        try:
            verified = {"ok": True, "output": manage(production, "audit_verify").strip()}
        except BenchError as error:
            verified = {"ok": False, "output": str(error)}
        pids = {"gunicorn_workers": WORKERS, "celery_concurrency": CELERY_CONCURRENCY}
    summary = recorder.summary()
    answered = summary["overall"]["requests"]
    return {
        "started": stamp,
        "argv": shlex.join(["python", "-m", "bench.idp_load", *sys.argv[1:]]),
        "command": "make bench-load",
        "seconds": seconds,
        "rate": args.rate,
        "admin_every_s": args.admin_every,
        "users": args.users,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            **pids,
        },
        "timings": {**timings, "load_s": load_s},
        "requests": summary,
        "achieved_rps": answered / load_s if load_s else None,
        "late": recorder.late,
        "errors": recorder.error_list,
        "accounts_created": len([a for a in directory.accounts.values() if a.idp != "admin"]),
        "drain_s": drain_s,
        **phase_summary(sampler.samples),
        "outbox_messages": sampler.samples[-1]["outbox_total"],
        "outbox_failed": sampler.samples[-1]["outbox_failed"],
        "downstream": delivered,
        "audit_verify": verified,
        "samples": sampler.samples,
    }


# --- The page ------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / 1024:.0f}"


def _paragraph(*sentences: str) -> str:
    return textwrap.fill(" ".join(sentences), width=92, break_on_hyphens=False)


def markdown(results: dict[str, Any]) -> str:
    machine, load, outbox = results["machine"], results["load_1min"], results["outbox"]
    down, memory = results["downstream"], results["memory"]
    rows = "\n".join(
        f"| {kind} | {f['requests']} | {f['errors']} | {_ms(f['p50_ms'])} | {_ms(f['p95_ms'])} "
        f"| {_ms(f['p99_ms'])} |"
        for kind, f in [
            *results["requests"]["kinds"].items(),
            ("**overall**", results["requests"]["overall"]),
        ]
    )
    labels = (
        (f"gunicorn workers ({machine['gunicorn_workers']}, sum)", "gunicorn_workers_kib"),
        (f"Celery worker with beat ({machine['celery_concurrency']} children, sum)", "celery_kib"),
        ("PostgreSQL, the run's backends (sum)", "postgres_ours_kib"),
        ("PostgreSQL, every process on the machine (sum)", "postgres_all_kib"),
    )
    memory_rows = "\n".join(
        f"| {label} | {' | '.join(_mib(memory[key][at]) for at in ('start', 'end', 'max'))} |"
        for label, key in labels
    )
    redis_mib = " | ".join(
        "–" if value is None else f"{value / 2**20:.1f}"
        for value in (memory["redis_used_bytes"][at] for at in ("start", "end", "max"))
    )
    errors = "\n".join(
        f"- {e['kind']}: {e['status']} `{' '.join(e['body'].split())[:200]}`"
        for e in results["errors"]
    )
    drain = "did not drain" if results["drain_s"] is None else f"{results['drain_s']:.1f} s"
    what = _paragraph(
        f"Measured by `{results['argv']}` (what `{results['command']}` runs), started",
        f"{results['started']}: {results['seconds'] / 60:g} minutes at {results['rate']:g} SCIM",
        f"writes a second ({results['achieved_rps']:.1f} requests a second achieved, admin",
        f"pages included; {results['late']} writes skipped as late), with an HR action in the",
        f"admin every {results['admin_every_s']:g} s, on {results['users']:,} bench users plus the",
        f"demo organisation. gunicorn with {machine['gunicorn_workers']} workers on PostgreSQL,",
        f"one Celery worker with beat ({machine['celery_concurrency']} processes) on Redis, and",
        "scim2-server behind Slack's enabled connector (scope: every active person), so that",
        "every write is pushed on. The writes have the shapes `tests/provisioning/scim/clients/`",
        "replays: Entra's create, multi-operation PATCH, `active` PATCH and DELETE; Okta's",
        "create, PUT and `active` PATCH; each provider's membership PATCH on mapped groups. HR",
        "signs in through the two-factor login form and, in turn, onboards a hire from the",
        "Engineering template, moves them to Sales and offboards them. Load average (1 min) of",
        f"the shared {machine['cpus']}-core machine: {load['start']:.1f} at the start,",
        f"{load['max']:.1f} at most, {load['end']:.1f} at the end. Every",
        f"{results.get('sample_every_s', 5):g}-second sample is in",
        f"`bench/results/idp_load/{results['started']}.json`.",
    )
    lag = _paragraph(
        "**Outbox lag** (the age of the oldest message not yet done, sampled under load):",
        f"max {outbox['lag_max_s']:.1f} s, p99 {outbox['lag_p99_s']:.1f} s, p50",
        f"{outbox['lag_p50_s']:.1f} s; at most {outbox['waiting_max']} messages waiting for the",
        f"broker and {outbox['undelivered_max']} not yet done. {results['outbox_messages']:,}",
        f"messages in all, {results['outbox_failed']} given up. After the load the outbox",
        f"drained in {drain}.",
    )
    delivered = _paragraph(
        f"**Delivered**: {down['delivered']} of {down['expected']} accounts the run wrote read",
        f"downstream as last acknowledged ({down.get('never_provisioned', 0)} of them",
        "deprovisioned before their first push, so never given an account, as intended;",
        f"{down['uncertain']} left out after a failed write);",
        f"{down['portal_active']:,} active people in the portal, {down['downstream_active']:,}",
        f"active accounts downstream ({down['missing_downstream_count']} missing,",
        f"{down['extra_downstream_count']} extra). `audit_verify`:",
        f"{results['audit_verify']['output']}",
    )
    failed = f"Errors (status and body):\n\n{errors}" if errors else "No request failed."
    return f"""{SECTION_START}
## {SECTION_TITLE}

{what}

| requests | count | errors | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|---|
{rows}

{failed}

{lag}

{delivered}

| memory (RSS, MiB) | start | end | max |
|---|---|---|---|
{memory_rows}
| Redis `used_memory` | {redis_mib} |

PostgreSQL's shared buffers count once per process in the sums, so "every process" is an
upper bound, and it includes whatever else the shared machine runs.
{SECTION_END}
"""


def write_docs(results: dict[str, Any], docs: Path) -> None:
    """Replace this run's section of docs/benchmarks.md, above the SCIM benchmark's results
    marker (report.write_docs rewrites everything below it)."""
    page = docs / "benchmarks.md"
    text = page.read_text()
    section = markdown(results)
    if SECTION_START in text:
        before, _, rest = text.partition(SECTION_START)
        after = rest.partition(SECTION_END)[2].lstrip("\n")
        text = before + section + "\n" + after
    else:
        before, marker, after = text.partition(report.NOTE_START)
        text = before + section + "\n" + marker + after
    page.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SCIM writes at an identity provider's pace.")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, help="instead of --minutes (smoke runs)")
    parser.add_argument("--rate", type=float, default=20.0, help="SCIM writes a second")
    parser.add_argument("--admin-every", type=float, default=5.0, help="seconds between HR actions")
    parser.add_argument("--users", type=int, default=1_000, help="bench users in the data set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--database-suffix", default="_idp_load")
    parser.add_argument(
        "--no-docs",
        action="store_true",
        help="a scratch run: results to bench/results/smoke/idp_load/, docs/ left alone",
    )
    parser.add_argument(
        "--render", metavar="FILE", type=Path, help="only render docs/ again from a results file"
    )
    args = parser.parse_args(argv)
    if args.render:
        write_docs(json.loads(args.render.read_text()), ROOT / "docs")
        return 0
    if not args.database_suffix:
        parser.error("--database-suffix must not be empty: the run drops its databases")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        print("The load run needs PostgreSQL: DATABASE_URL is not a postgres:// URL.")
        return 2
    keys = os.environ.get("KEYSTORE_DATABASE_URL") or with_suffix(database, "_keys")
    urls = {
        "DATABASE_URL": with_suffix(database, args.database_suffix),
        "KEYSTORE_DATABASE_URL": with_suffix(keys, args.database_suffix),
    }
    if not os.environ.get("REDIS_URL"):
        print("The load run needs Redis: set REDIS_URL.")
        return 2
    out = RESULTS if not args.no_docs else ROOT / "bench" / "results" / "smoke" / "idp_load"
    logs = ROOT / "bench" / "results" / "logs" / f"idp_load{args.database_suffix}"
    logs.mkdir(parents=True, exist_ok=True)
    for stale in logs.iterdir():
        stale.unlink()
    # The keyring and the ledger file of these databases, apart from every other run's.
    env = dict(os.environ, **urls, KEYRING_PATH=str(logs / "keyring.json"),
               ERASURE_LEDGER_PATH=str(logs / "erasure-ledger.jsonl"))  # fmt: skip
    try:
        results = run(args, env, logs)
    except (BenchError, RunError) as error:
        print(f"load run: {error}")
        return 1
    results["sample_every_s"] = args.sample_every
    out.mkdir(parents=True, exist_ok=True)
    document = json.dumps(results, indent=2)
    (out / f"{results['started']}.json").write_text(document)
    (out / "latest.json").write_text(document)
    if not args.no_docs:
        write_docs(results, ROOT / "docs")
    print(markdown(results))
    problems = problems_of(results)
    for problem in problems:
        print(f"load run: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
