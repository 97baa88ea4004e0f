"""A real HTTP server on 127.0.0.1 for tests: pages and files served from a dict.

    with LocalSite() as site:
        site.put("/files/zip/a.zip", zip_bytes)            # ETag + Last-Modified, 304 on match
        site.put("/list", html, content_type="text/html")
        site.redirect("/old.zip", "/files/zip/a.zip")
        site.fail("/files/zip/a.zip", 503, headers={"Retry-After": "7"})  # once, then normal
        site.put("/short.zip", b"x" * 100, short_by=40)     # Content-Length 100, 60 bytes sent
        site.put("/slow.zip", data, stall_body=1.0)          # headers, then 1 s of silence
        url = site.url("/list")
        site.requests                                      # [(method, path, headers), ...]

Changing content is another ``put``: the ETag follows the bytes, so a re-post is seen.
Threaded, on an ephemeral port; every response closes its connection.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str = "application/zip"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    etag: str | None = None  # None: no ETag header (then only Last-Modified validates)
    last_modified: str | None = None
    short_by: int = 0  # send this many bytes fewer than Content-Length says, then hang up
    stall_headers: float = 0  # seconds to wait before answering (a read timeout on headers)
    stall_body: float = 0  # seconds to wait between headers and body (a timeout mid-download)


@dataclass
class _State:
    resources: dict[str, Resource] = field(default_factory=dict)
    failures: dict[str, deque[Resource]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LocalSite:
    def __init__(self) -> None:
        self._state = _State()
        self._version = 0
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- lifecycle

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- content

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def put(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "application/zip",
        etag: bool = True,
        last_modified: bool = True,
        short_by: int = 0,
        stall_headers: float = 0,
        stall_body: float = 0,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve ``body`` at ``path``; called again, the content changes (a CMS re-post)."""
        data = body.encode() if isinstance(body, str) else body
        self._version += 1
        resource = Resource(
            body=data,
            content_type=content_type,
            headers=tuple((headers or {}).items()),
            etag=f'"{hashlib.sha256(data).hexdigest()[:16]}"' if etag else None,
            # A distinct date per version, so If-Modified-Since tells versions apart.
            last_modified=formatdate(1_700_000_000 + self._version * 86400, usegmt=True)
            if last_modified
            else None,
            short_by=short_by,
            stall_headers=stall_headers,
            stall_body=stall_body,
        )
        with self._state.lock:
            self._state.resources[path] = resource

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        with self._state.lock:
            self._state.resources[path] = Resource(
                b"", "text/plain", status, (("Location", location),)
            )

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status``, then as before."""
        failure = Resource(body, "text/html", status, tuple((headers or {}).items()))
        with self._state.lock:
            self._state.failures.setdefault(path, deque()).extend([failure] * times)

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        """Each request seen: (method, path, headers with lower-case names)."""
        with self._state.lock:
            return list(self._state.requests)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (timeout tests) leaves a broken pipe behind: that is expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    state: _State
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # http.server's naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.state.lock:
            self.state.requests.append((self.command, path, headers))
            queued = self.state.failures.get(path)
            resource = queued.popleft() if queued else self.state.resources.get(path)
        if resource is None:
            resource = Resource(b"<html><title>Page Not Found</title></html>", "text/html", 404)
        if resource.stall_headers:
            time.sleep(resource.stall_headers)
        if resource.status == 200 and _not_modified(resource, headers):
            self._send(304, resource, b"", send_body=False)
            return
        self._send(resource.status, resource, resource.body, send_body=send_body)

    def _send(self, status: int, resource: Resource, body: bytes, *, send_body: bool) -> None:
        self.close_connection = True
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", resource.content_type)
            self.send_header("Content-Length", str(len(body)))
        if resource.etag:
            self.send_header("ETag", resource.etag)
        if resource.last_modified:
            self.send_header("Last-Modified", resource.last_modified)
        for name, value in resource.headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body and body:
            if resource.stall_body:
                self.wfile.flush()
                time.sleep(resource.stall_body)
            self.wfile.write(body[: len(body) - resource.short_by])
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean


def _not_modified(resource: Resource, headers: dict[str, str]) -> bool:
    if "if-none-match" in headers:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = {t.strip() for t in headers["if-none-match"].split(",")}
        return resource.etag is not None and (resource.etag in tags or "*" in tags)
    since = headers.get("if-modified-since")
    return since is not None and since == resource.last_modified
