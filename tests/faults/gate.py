"""A gate in front of the downstream server: it forwards every request and counts what it
forwarded, and it can hold the requests of one method, so that a worker is caught in the
middle of a downstream call and killed there."""

import http.client
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Gate:
    """`hold(method, before=True)`: such requests wait at the gate, not yet forwarded (the
    downstream never saw them); `before=False`: forwarded, and the answer waits (the
    downstream did it, the worker never heard). `arrived` is set when one waits;
    `let_go(drop=True)` closes it unanswered (its caller is dead by then)."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.prefix = parts.path
        self.forwarded: Counter[tuple[str, str]] = Counter()
        self.arrived = threading.Event()
        self._method = ""
        self._before = True
        self._let_go = threading.Event()
        self._drop = False
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"

    def hold(self, method: str, *, before: bool = True) -> None:
        self._method, self._before = method, before
        self._let_go.clear()
        self.arrived.clear()

    def let_go(self, *, drop: bool) -> None:
        """Release what waits, and hold nothing more."""
        self._drop = drop
        self._method = ""
        self._let_go.set()

    def close(self) -> None:
        self.let_go(drop=True)
        self.server.shutdown()
        self.server.server_close()

    def forwarded_to(self, method: str, path_part: str) -> int:
        return sum(
            n for (m, path), n in self.forwarded.items() if m == method and path_part in path
        )

    def _wait_here(self) -> bool:
        """Block until let go; True if the request is to be dropped."""
        self.arrived.set()
        self._let_go.wait(timeout=120)
        return self._drop

    def pass_through(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        held = method == self._method
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        if held and self._before and self._wait_here():
            handler.close_connection = True
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(*self.target, timeout=30)
        try:
            upstream.request(method, handler.path, body=body, headers=headers)
            answer = upstream.getresponse()
            content = answer.read()
        finally:
            upstream.close()
        with self._lock:
            self.forwarded[(method, handler.path)] += 1
        if held and not self._before and self._wait_here():
            handler.close_connection = True
            return
        handler.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


def _handler(gate: Gate) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                self.close_connection = True
                return
            gate.pass_through(self)
            self.wfile.flush()

    return Handler


@contextmanager
def gate_before(target: str) -> Iterator[Gate]:
    gate = Gate(target)
    try:
        yield gate
    finally:
        gate.close()
