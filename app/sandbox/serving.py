"""The sandbox's HTTP server: werkzeug's threaded server, with HTTP/1.1 keep-alive.

Why not werkzeug's own request handler: it answers every request with ``Connection: close`` (it cannot
tell where a request body it did not read ends), so each platform call a client makes costs a TCP
connection, a server thread and, after the answer, a 10 ms wait for the client's close. The real
platforms keep their HTTPS connections alive, and so do the clients (``requests``' pool, ``httplib2``).
This handler reads every request body to its ``Content-Length`` (what the app left unread is skipped)
and keeps the connection open unless the client asks to close it, sent an HTTP/1.0 request or a chunked
body, or the answer went wrong half-way. Everything else - the WSGI environ, the answers, the request log
- is werkzeug's.

``serve`` runs it (``bench/sync.py``'s sandbox); ``make_sandbox_server`` returns it unstarted (tests).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import IO, Any, cast

from werkzeug.exceptions import ClientDisconnected, InternalServerError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import LimitedStream

_LOG = logging.getLogger("werkzeug")
#: seconds an idle kept-alive connection (and its thread) is held before the server closes it
IDLE_TIMEOUT = 120.0


class KeepAliveRequestHandler(WSGIRequestHandler):
    """werkzeug's handler (environ, logging, errors) with a ``run_wsgi`` that keeps connections alive."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    #: TCP_NODELAY: headers and body go out in two writes; with Nagle's algorithm and the client's delayed
    #: ACK a kept-alive connection would wait ~40 ms for each answer's body
    disable_nagle_algorithm = True
    connection_errors = (ConnectionError, TimeoutError)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """werkzeug's request line, unless its logger is quiet (the benchmark's sandbox): werkzeug formats
        the line (date, colours, IRI) before the logger drops it."""
        if _LOG.level == logging.NOTSET or _LOG.isEnabledFor(logging.INFO):  # NOTSET: werkzeug sets INFO
            super().log_request(code, size)

    def run_wsgi(self) -> None:  # noqa: C901 - one request's life, as werkzeug's own
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.environ = self.make_environ()
        body: LimitedStream | None = None
        if self.request_version < "HTTP/1.1":
            self.close_connection = True  # an HTTP/1.0 client: one request a connection, as werkzeug
        if environ.get("wsgi.input_terminated"):  # a chunked body: where it ends is the app's business
            self.close_connection = True
        else:
            try:
                length = max(0, int(environ.get("CONTENT_LENGTH") or 0))
            except ValueError:
                length = 0
                self.close_connection = True
            body = LimitedStream(cast(IO[bytes], self.rfile), length)
            environ["wsgi.input"] = body
        status_set: str | None = None
        headers_set: list[tuple[str, str]] | None = None
        sent = False
        chunked = False

        def write(data: bytes) -> None:
            nonlocal sent, chunked
            assert status_set is not None, "write() before start_response"
            assert headers_set is not None, "write() before start_response"
            if not sent:
                sent = True
                code_str, _, msg = status_set.partition(" ")
                code = int(code_str)
                self.send_response(code, msg)
                keys = set()
                for key, value in headers_set:
                    self.send_header(key, value)
                    keys.add(key.lower())
                bodyless = environ["REQUEST_METHOD"] == "HEAD" or 100 <= code < 200 or code in (204, 304)
                if "content-length" not in keys and not bodyless:
                    if self.request_version >= "HTTP/1.1":
                        chunked = True
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.close_connection = True  # the body ends where the connection does
                if self.close_connection and "connection" not in keys:
                    self.send_header("Connection", "close")
                self.end_headers()
            assert isinstance(data, bytes), "applications must write bytes"
            if data:
                if chunked:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                else:
                    self.wfile.write(data)
            self.wfile.flush()

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status_set, headers_set
            if exc_info:
                try:
                    if sent:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif headers_set:
                raise AssertionError("Headers already set")
            status_set, headers_set = status, headers
            return write

        def execute(app: Any) -> None:
            answer: Iterable[bytes] = app(environ, start_response)
            try:
                for data in answer:
                    write(data)
                if not sent:
                    write(b"")
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()

        try:
            execute(self.server.app)
            if body is not None and not self.close_connection:
                try:
                    body.exhaust()  # the next request starts after this one's body
                except ClientDisconnected:
                    self.close_connection = True
        except self.connection_errors as e:
            self.close_connection = True
            self.connection_dropped(e, environ)
        except Exception as e:
            self.close_connection = True
            if self.server.passthrough_errors:
                raise
            if not sent:  # nothing went out yet: answer 500 as werkzeug does
                status_set = headers_set = None
                with contextlib.suppress(Exception):  # the connection is closed after it either way
                    execute(InternalServerError())
            from werkzeug.debug.tbtools import DebugTraceback

            self.server.log("error", f"Error on request:\n{DebugTraceback(e).render_traceback_text()}")


def make_sandbox_server(app: Any, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded server for ``app`` with the keep-alive handler, bound and not yet serving."""
    return make_server(host, port, app, threaded=True, request_handler=KeepAliveRequestHandler)


def serve(app: Any, host: str = "127.0.0.1", port: int = 5055, log_requests: bool = True) -> None:
    """Serve ``app`` until interrupted; ``log_requests=False``: no request line per call (werkzeug's logger
    at WARNING), for a sandbox whose output nobody reads."""
    if not log_requests:
        _LOG.setLevel(logging.WARNING)
    make_sandbox_server(app, host, port).serve_forever()
