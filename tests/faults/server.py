"""A real HTTP server on 127.0.0.1 that serves recorded documents and injects faults on request.

Each path has a body and a queue of faults; every request takes the next fault (or serves cleanly
when the queue is empty). Requests are logged with their headers so tests can assert what was sent.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes
    content_type: str = "application/octet-stream"
    faults: list = field(default_factory=list)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the client hanging up on a fault is the point, not news


class FaultServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[dict] = []
        self.etags = True  # False: always a full 200, so a forced re-run re-reads the bytes
        self.httpd = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, body: bytes, content_type: str = "application/octet-stream",
              faults: list | None = None) -> str:
        self.routes[path] = Route(body, content_type, list(faults or []))
        return self.base + path

    def start(self) -> "FaultServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: FaultServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):  # noqa: N802 (http.server naming)
            server.requests.append({"path": self.path, "headers": dict(self.headers)})
            route = server.routes.get(self.path)
            if route is None:
                return self._send(404, b"not found", "text/plain")
            fault = route.faults.pop(0) if route.faults else None
            if fault is None:
                return self._clean(route)
            return FAULTS[fault[0]](self, route, *fault[1:])

        def _clean(self, route: Route):
            if not server.etags:
                return self._send(200, route.body, route.content_type)
            if self.headers.get("If-None-Match") == route.etag:
                return self._send(304, b"", route.content_type, {"ETag": route.etag})
            return self._send(200, route.body, route.content_type, {"ETag": route.etag})

        def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None,
                  length: int | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if body:
                self.wfile.write(body)

    return Handler


def _status(h, route, code, headers=None):
    h._send(code, b"error", "text/plain", headers)


def _stall(h, route, seconds):
    time.sleep(seconds)
    h._clean(route)


def _reset(h, route):
    h.send_response(200)
    h.send_header("Content-Length", str(len(route.body)))
    h.end_headers()
    h.wfile.write(route.body[: len(route.body) // 2])
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    h.connection.close()


def _short(h, route):
    h._send(200, route.body[:-10], route.content_type, length=len(route.body))
    h.close_connection = True


def _bad_gzip(h, route):
    h._send(200, gzip.compress(route.body)[:-20] + b"garbage!", route.content_type, {"Content-Encoding": "gzip"})


def _content_type(h, route, content_type):
    h._send(200, route.body, content_type)


def _empty(h, route):
    h._send(200, b"", route.content_type)


def _huge(h, route, size):
    h.send_response(200)
    h.send_header("Content-Type", route.content_type)
    h.end_headers()  # no Content-Length: the client must count
    chunk = b"x" * 65536
    try:
        for _ in range(size // len(chunk) + 1):
            h.wfile.write(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    h.close_connection = True


def _huge_declared(h, route, size):
    """Says how big it is up front: the client must refuse before reading."""
    h.send_response(200)
    h.send_header("Content-Type", route.content_type)
    h.send_header("Content-Length", str(size))
    h.end_headers()
    try:
        h.wfile.write(b"x" * 65536)
    except (BrokenPipeError, ConnectionResetError):
        pass
    h.close_connection = True


def _redirect(h, route, location):
    h._send(302, b"", "text/plain", {"Location": location})


def _body(h, route, body):
    h._send(200, body, route.content_type)


FAULTS = {
    "status": _status, "stall": _stall, "reset": _reset, "short": _short, "bad_gzip": _bad_gzip,
    "content_type": _content_type, "empty": _empty, "huge": _huge, "huge_declared": _huge_declared, "redirect": _redirect, "body": _body,
}
