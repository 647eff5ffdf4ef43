"""The test servers' base: a client hanging up mid-request leaves no traceback in the test run's output,
and any other error in a handler still prints one."""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler

from tests.local_server import LocalServer


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        raise RuntimeError("a handler bug")

    def log_message(self, *args) -> None:
        pass


class _Observed(LocalServer):
    """Says when it has finished with each connection (its error, if any, already reported)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.finished = threading.Semaphore(0)

    def shutdown_request(self, request) -> None:
        super().shutdown_request(request)
        self.finished.release()


def _serve() -> _Observed:
    server = _Observed(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def _reset_mid_request(port: int) -> None:
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the request is not finished
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = TCP reset
    client.close()


def test_a_client_that_hangs_up_prints_nothing_but_a_handler_error_still_does(capfd):
    server = _serve()
    try:
        port = server.server_address[1]
        _reset_mid_request(port)
        assert server.finished.acquire(timeout=10)  # the server has read the reset and handled its error
        assert "Traceback" not in capfd.readouterr().err
        with socket.create_connection(("127.0.0.1", port)) as client:  # a whole request: the handler raises
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            client.settimeout(5)
            while client.recv(4096):
                pass
        assert server.finished.acquire(timeout=10)
        assert "RuntimeError: a handler bug" in capfd.readouterr().err
    finally:
        server.shutdown()
        server.server_close()
