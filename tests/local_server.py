"""The base of the test servers (the Connect, Kubernetes, Slack and registry stand-ins): HTTP on 127.0.0.1,
one thread per request, and a client that hangs up mid-request (a timeout, a screen closed during a check)
is not an error of the server's, so it prints no traceback into the test run's output."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, aborted or a broken pipe: the client left
            return
        super().handle_error(request, client_address)
