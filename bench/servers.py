"""Starting and stopping a target under gunicorn, reading its workers' memory and CPU time,
and reading the CPU time of PostgreSQL's processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH_KEYS = Path(tempfile.gettempdir()) / "portal-bench"
WORKERS = 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerError(Exception):
    """A target did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stat_cpu_ticks(stat: str) -> int:
    """User plus system CPU time (utime and stime) from a /proc/PID/stat line, in clock ticks.
    The command name in parentheses may hold spaces and parentheses of its own, so fields
    are counted from the last closing parenthesis: the state that follows it is field 3,
    utime and stime are fields 14 and 15."""
    fields = stat[stat.rindex(")") + 1 :].split()
    return int(fields[11]) + int(fields[12])


def cpu_ticks(pids: Iterable[int]) -> dict[int, int]:
    """The CPU time each process has spent so far, by pid; one that has gone is left out."""
    ticks = {}
    for pid in pids:
        try:
            ticks[pid] = stat_cpu_ticks(Path(f"/proc/{pid}/stat").read_text())
        except OSError:
            continue
    return ticks


def cpu_seconds_between(before: dict[int, int], after: dict[int, int]) -> float:
    """The CPU seconds the processes spent between two readings. One that started in between
    counts in full; one that ended in between is lost (its time is not readable any more), and
    a pid the system reused in between counts from zero rather than below it."""
    ticks = sum(max(spent - before.get(pid, 0), 0) for pid, spent in after.items())
    return ticks / CLOCK_TICKS


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine: the postmaster, its background processes and
    every backend, whoever's connection it serves."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "comm").read_text()
        except OSError:
            continue
        if command.startswith("postgres"):
            pids.append(int(entry.name))
    return pids


def run_environment(settings: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a production-shaped run: DEBUG off and the settings it requires."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DEBUG="false",
        SECRET_KEY="bench-run-secret-key-not-used-elsewhere-0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # A fixed key: the bench database holds fixture data only.
        AUDIT_MASTER_KEY="YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtISE=",
        # Production requires both, outside the databases: here a temporary folder.
        KEYRING_PATH=str(BENCH_KEYS / "keyring.json"),
        ERASURE_LEDGER_PATH=str(BENCH_KEYS / "erasure-ledger.jsonl"),
        # Production refuses the records of processing's placeholders (compliance.E004).
        ROPA_CONTROLLER_NAME="Bench Organisation Ltd",
        ROPA_CONTROLLER_CONTACT="privacy@bench.example",
        ROPA_DPO_CONTACT="dpo@bench.example",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    name: str
    settings: str
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    workers: int = WORKERS
    start_timeout: float = 60.0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            str(Path(sys.executable).with_name("gunicorn")),
            "bench.wsgi",
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "300",
            "--log-level", "warning",
        ]  # fmt: skip

    def start(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log = log_dir / f"{self.name}.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and its gunicorn)
                self.command(),
                cwd=ROOT,
                env=run_environment(self.settings, self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()

    def wait_ready(self, previous: Iterable[int] = ()) -> None:
        """Wait until the target answers its ready path from all its workers, none of them
        one of `previous` (the workers a restart replaced)."""
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited at start; see {self.log}")
            workers = self.worker_pids()
            if len(workers) != self.workers or set(workers) & set(previous):
                time.sleep(0.2)
                continue
            try:
                httpx.get(self.origin + self.ready_path, timeout=2.0)
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            return
        self.stop()
        raise ServerError(
            f"{self.name} did not answer within {self.start_timeout:.0f} s; see {self.log}"
        )

    def restart(self) -> None:
        """A fresh master and workers on a new port: requests that the load client gave up
        on would otherwise keep the sync workers busy and queue the next batch behind them."""
        assert self.log is not None
        self.stop()
        self.start(self.log.parent)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Quick shutdown: a graceful one would first finish requests nobody waits for.
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            return [int(child) for child in children.read_text().split()]
        except OSError:
            return []

    def reset_peak_memory(self) -> None:
        """Reset the workers' peak resident size (VmHWM), so that each scenario reads its own."""
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_memory_kib(self) -> int:
        """The largest peak resident size (VmHWM) among the workers, in KiB."""
        peaks = [0]
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith(("VmHWM:", "VmRSS:")):
                    peaks.append(int(line.split()[1]))
        return max(peaks)

    def worker_cpu_ticks(self) -> dict[int, int]:
        """The CPU time each worker has spent so far (the master serves no request)."""
        return cpu_ticks(self.worker_pids())


@dataclass
class ForkedServer(Server):
    """A target that keeps its data in memory (scim2-server): one serving process, forked
    from a master that loaded the data (bench.peers.scim2server). More than one worker would
    each hold data of its own, and answer a read with what another never wrote."""

    module: str = ""
    arguments: tuple[str, ...] = ()
    workers: int = 1
    # Loading 100,000 users into memory takes tens of seconds, more on a busy machine.
    start_timeout: float = 600.0

    def command(self) -> list[str]:
        return [sys.executable, "-m", self.module, "--port", str(self.port), *self.arguments]

    def restart(self) -> None:
        """A fresh fork of the loaded data, on the same port, in a fraction of a second:
        the requests the load client gave up on die with the old child."""
        assert self.process is not None
        previous = self.worker_pids()
        self.process.send_signal(signal.SIGHUP)
        self.wait_ready(previous)


def children(pid: int) -> list[int]:
    """Every descendant of a process (a Celery worker's pool, its embedded beat)."""
    found = []
    try:
        direct = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    for child in map(int, direct):
        found += [child, *children(child)]
    return found


def rss_kib(pids: Iterable[int]) -> int:
    """The resident size (VmRSS) of the processes added up, in KiB; one that has gone counts
    nothing. Pages shared between them (PostgreSQL's shared buffers) count once per process."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total
