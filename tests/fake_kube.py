"""A tiny fake kube-apiserver on 127.0.0.1 for the real kubectl: it serves CustomResourceDefinitions
(read from YAML files, e.g. ../shared/crds) at /apis/apiextensions.k8s.io/v1/customresourcedefinitions/NAME,
and a kubeconfig whose current context points at it. ``silent=True`` accepts connections and never answers."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

PREFIX = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"


def kubeconfig(path: Path, server: str, context: str = "fake") -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": server}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "users": [{"name": context, "user": {}}],
    }))
    return path


class FakeKube:
    def __init__(self, crds: list[dict[str, Any]]):
        self.crds = {doc["metadata"]["name"]: doc for doc in crds}
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                owner.requests.append(self.path)
                name = self.path.split("?", 1)[0].removeprefix(PREFIX)
                doc = owner.crds.get(name) if self.path.startswith(PREFIX) else None
                if doc is None:
                    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                            "message": f'customresourcedefinitions.apiextensions.k8s.io "{name}" not found'}
                    self._send(404, body)
                else:
                    self._send(200, doc)

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @classmethod
    def from_dir(cls, crd_dir: Path, change=None) -> FakeKube:
        docs = [doc for path in sorted(crd_dir.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]
        return cls([change(doc) if change else doc for doc in docs])

    def __enter__(self) -> FakeKube:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class Silent:
    """Accepts connections and never answers: a cluster behind a black hole."""

    def __enter__(self) -> Silent:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc: Any) -> None:
        self.sock.close()
