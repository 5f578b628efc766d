"""A Redis broker of the test's own, and a Celery app pointed at it, for tests that need
the broker to fail. Never the shared Redis: stopping that would break everyone else."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import pytest
import redis
from celery import Celery, _state, current_app
from celery.contrib.testing.worker import TestWorkController, setup_app_for_worker
from celery.utils.nodenames import anon_nodename

from provisioning.connectors import sync


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayRedis:
    """redis-server on a free port, without persistence; until started the port is closed."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the throwaway redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1)

    def queued(self, queue: str = "celery") -> int:
        return int(self.client().llen(queue))


@contextmanager
def broker_app(url: str) -> Iterator[Celery]:
    """A Celery app on this broker, current for the test (the outbox relays through the
    current app), with tasks sent for real rather than run in-process."""
    previous = current_app._get_current_object()
    # start_worker makes its app the process default too (other threads, such as a live
    # server's, resolve tasks through it): both are put back after the test.
    previous_default = _state.default_app
    app = Celery("faults", set_as_current=True)
    app.conf.update(
        broker_url=url,
        task_always_eager=False,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=False,
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 5},
    )
    app.set_current()
    try:
        yield app
    finally:
        app.close()
        previous.set_current()
        _state.set_default_app(previous_default)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    """A broker of the test's own (never the shared Redis), not started: its port is
    closed until it is."""
    server = ThrowawayRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def deliveries(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """Pushes the workers actually carried out, per (connector, person)."""
    done: Counter[tuple[str, str]] = Counter()
    push = sync.person_push

    def counting(*, connector_id: UUID, person_id: UUID) -> object:
        done[(str(connector_id), str(person_id))] += 1
        return push(connector_id=connector_id, person_id=person_id)

    monkeypatch.setattr(sync, "person_push", counting)
    return done


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.1)


@contextmanager
def worker_thread(app: Celery) -> Iterator[TestWorkController]:
    """A real worker (solo pool) in a thread, stopped on its own. Celery's start_worker
    stops through a process-wide flag that also ends the session's worker, which later
    tests still need."""
    setup_app_for_worker(app, "WARNING", None)  # broker_app restores the apps after
    worker = TestWorkController(
        app=app,
        concurrency=1,
        hostname=anon_nodename(),
        pool="solo",
        loglevel="WARNING",
        logfile=None,
        ready_callback=None,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    thread = threading.Thread(target=worker.start, daemon=True)
    thread.start()
    worker.ensure_started()
    # A starting worker marks the process as one where result.get() would block a task;
    # the tests calling .get() themselves need that undone, as start_worker does.
    _state._set_task_join_will_block(False)
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(15)
        _state._set_task_join_will_block(False)
        if thread.is_alive():
            raise RuntimeError("the test's worker did not stop within 15 s")


ROOT = Path(__file__).resolve().parents[1]


def _database_url(alias: str) -> str:
    """The URL of the test's copy of a database (pytest-django renamed it test_*)."""
    from django.db import connections

    db = connections[alias].settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """`celery -A portal worker` as a process group of its own (the main process and its
    prefork child), on the test's broker and the test's databases, killed with SIGKILL
    as a lost machine would be: nothing it held is acknowledged or cleaned up."""

    def __init__(self, broker_url: str, log: Path, **settings: str) -> None:
        from django.conf import settings as django_settings

        self.log = log
        self.env = {
            **os.environ,
            "REDIS_URL": broker_url,
            "DATABASE_URL": _database_url("default"),
            "KEYSTORE_DATABASE_URL": _database_url("keys"),
            "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
            **settings,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_within: float = 60) -> None:
        celery = Path(sys.executable).with_name("celery")
        with self.log.open("ab") as log:
            self.process = process = subprocess.Popen(
                [
                    *(str(celery), "-A", "portal", "worker", "--pool", "prefork"),
                    *("--concurrency", "1", "--loglevel", "INFO", "--hostname", anon_nodename()),
                    *("--without-heartbeat", "--without-mingle", "--without-gossip"),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own: killed whole, children too
            )
        wait_for(
            lambda: b" ready." in self.log.read_bytes() or process.poll() is not None,
            ready_within,
            "the worker ready",
        )
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL to the main process and its children at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), killed if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None


@pytest.fixture
def worker_processes(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """worker_processes(broker_url, SETTING=value, ...): real workers, gone after the test
    (before its databases are flushed)."""
    started: list[WorkerProcess] = []

    def make(broker_url: str, **settings: str) -> WorkerProcess:
        worker = WorkerProcess(broker_url, tmp_path / f"worker-{len(started)}.log", **settings)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.kill()
