"""A small fake kube-apiserver on 127.0.0.1 for the real kubectl, and a kubeconfig whose current context
points at it. ``silent=True`` (``Silent``) accepts connections and never answers.

What it serves, the way the real API server does:

- discovery: ``/version``, ``/api``, ``/api/v1``, ``/apis`` and each group version's resource list (with short
  names), for the kinds below;
- gets and lists (namespaced and cluster-wide) of the objects it was given: CustomResourceDefinitions (read from
  YAML files, e.g. ../shared/crds), Flux Kustomizations, HelmReleases and GitRepositories, PVCs, pods, nodes,
  DaemonSets, Secrets, Services and events; a missing one is a ``Status`` 404 with the API server's message;
- the service proxy, ``/api/v1/namespaces/NS/services/[http:]NAME[:PORT]/proxy/PATH`` (GET and POST), forwarded
  to the real daemon registered for that service on 127.0.0.1; a service without one is a 503 as from a service
  without endpoints, an unreachable daemon a 503 "error trying to reach service".
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import yaml

from tests.local_server import LocalServer

PREFIX = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"

#: (group, version, plural, kind, namespaced, short names)
RESOURCES = [
    ("", "v1", "pods", "Pod", True, ["po"]),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ["pvc"]),
    ("", "v1", "nodes", "Node", False, ["no"]),
    ("", "v1", "secrets", "Secret", True, []),
    ("", "v1", "services", "Service", True, ["svc"]),
    ("", "v1", "events", "Event", True, ["ev"]),
    ("", "v1", "namespaces", "Namespace", False, ["ns"]),
    ("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"]),
    ("apps", "v1", "statefulsets", "StatefulSet", True, ["sts"]),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False, ["crd", "crds"]),
    ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization", True, ["ks"]),
    ("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease", True, ["hr"]),
    ("source.toolkit.fluxcd.io", "v1", "gitrepositories", "GitRepository", True, ["gitrepo"]),
]

#: Request headers the proxy passes on to the daemon, and response headers it passes back.
FORWARDED = ("Content-Type", "Accept", "Cookie", "Content-Encoding")
RETURNED = ("Content-Type", "Set-Cookie", "Content-Encoding")


def kubeconfig(path: Path, server: str, context: str = "fake") -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": server}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "users": [{"name": context, "user": {}}],
    }))
    return path


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


class FakeKube:
    """``crds`` and ``objects`` are served as stored (each object needs apiVersion, kind and metadata);
    ``services`` maps (namespace, service name, port) to the ``127.0.0.1:PORT`` of a real daemon."""

    def __init__(self, crds: list[dict[str, Any]] = (), objects: list[dict[str, Any]] = (),
                 services: dict[tuple[str, str, str], str] | None = None):
        self.crds: dict[str, dict[str, Any]] = {doc["metadata"]["name"]: doc for doc in crds}  # tests may delete one
        self.objects: list[dict[str, Any]] = list(objects)
        self.services = dict(services or {})
        self.requests: list[str] = []
        self.methods: list[tuple[str, str]] = []  # (method, path) of every request
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                owner._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner._handle(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = LocalServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @classmethod
    def from_dir(cls, crd_dir: Path, change=None) -> FakeKube:
        docs = [doc for path in sorted(crd_dir.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]
        return cls([change(doc) if change else doc for doc in docs])

    # --- objects ------------------------------------------------------------------------------

    def put(self, obj: dict[str, Any]) -> None:
        """Add ``obj``, replacing one of the same kind, namespace and name."""
        with self.lock:
            self.objects = [o for o in self.objects if _key(o) != _key(obj)] + [obj]

    def remove(self, kind: str, name: str, namespace: str | None = None) -> None:
        with self.lock:
            self.objects = [o for o in self.objects if _key(o) != (kind, namespace, name)]

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        (found,) = [o for o in self.objects if _key(o) == (kind, namespace, name)]
        return found

    # --- requests -----------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        self.requests.append(req.path)
        self.methods.append((method, req.path))
        body = _body(req)
        path, _, query = req.path.partition("?")
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]
        try:
            if parts[:1] == ["api"] and len(parts) >= 3 and parts[2] == "namespaces" and len(parts) >= 6 \
                    and parts[4] == "services" and len(parts) >= 7 and parts[6] == "proxy":
                return self._proxy(req, method, parts[3], parts[5], "/" + "/".join(parts[7:]), query, body,
                                   trailing=path.endswith("/") and len(parts) > 7)
            if method != "GET":
                return _send(req, 405, _status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))
            code, answer = self._read(parts, req)
            _send(req, code, answer)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _read(self, parts: list[str], req: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        if parts == ["version"]:
            return 200, {"major": "1", "minor": "33", "gitVersion": "v1.33.0-fake", "platform": "linux/amd64"}
        if parts == ["api"]:
            host = req.headers.get("Host", "127.0.0.1")
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}
        if parts == ["apis"]:
            groups: dict[str, list[str]] = {}
            for group, version, *_ in RESOURCES:
                if group:
                    groups.setdefault(group, [])
                    if version not in groups[group]:
                        groups[group].append(version)
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                 "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]}} for g, vs in groups.items()]}
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        mine = [r for r in RESOURCES if r[0] == group and r[1] == version]
        if not mine:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": _group_version(group, version),
                         "resources": [{"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                                        "verbs": ["get", "list"], "shortNames": short}
                                       for _, _, plural, kind, namespaced, short in mine]}
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        by_plural = {r[2]: r for r in mine}
        if rest[0] not in by_plural or len(rest) > 2:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        _, _, plural, kind, namespaced, _ = by_plural[rest[0]]
        what = f"{plural}.{group}" if group else plural
        with self.lock:
            stored = list(self.crds.values()) if kind == "CustomResourceDefinition" else self.objects
            items = [o for o in stored if o.get("kind", kind) == kind
                     and (namespace is None or o["metadata"].get("namespace") == namespace)]
        if len(rest) == 2:
            found = [o for o in items if o["metadata"]["name"] == rest[1]]
            if not found:
                return 404, {**_status(404, "NotFound", f'{what} "{rest[1]}" not found'),
                             "details": {"name": rest[1], "group": group, "kind": plural}}
            return 200, found[0]
        return 200, {"kind": f"{kind}List", "apiVersion": _group_version(group, version),
                     "metadata": {"resourceVersion": "1"}, "items": items}

    def _proxy(self, req: BaseHTTPRequestHandler, method: str, namespace: str, service: str, sub: str, query: str,
               body: bytes, trailing: bool) -> None:
        scheme, name, port = "http", service, ""
        pieces = service.split(":")
        if len(pieces) == 3:
            scheme, name, port = pieces
        elif len(pieces) == 2:
            name, port = pieces
        target = self.services.get((namespace, name, port))
        if target is None:
            known = any(ns == namespace and n == name for ns, n, _ in self.services)
            if not known:
                return _send(req, 404, _status(404, "NotFound", f'services "{name}" not found'))
            return _send(req, 503, _status(503, "ServiceUnavailable", f'no endpoints available for service "{service}"'))
        host, _, target_port = target.rpartition(":")
        conn = http.client.HTTPConnection(host, int(target_port), timeout=30)
        headers = {h: req.headers[h] for h in FORWARDED if req.headers.get(h)}
        try:
            conn.request(method, sub + ("/" if trailing and not sub.endswith("/") else "") + (f"?{query}" if query else ""),
                         body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            return _send(req, 503, _status(503, "ServiceUnavailable",
                                           f"error trying to reach service: dial tcp {target}: connect: {reason.lower()}"))
        finally:
            conn.close()
        req.send_response(resp.status)
        for h in RETURNED:
            for value in resp.headers.get_all(h) or ():
                req.send_header(h, value)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def __enter__(self) -> FakeKube:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def _key(obj: dict[str, Any]) -> tuple[str, str | None, str]:
    return obj.get("kind", ""), obj["metadata"].get("namespace"), obj["metadata"]["name"]


def _body(req: BaseHTTPRequestHandler) -> bytes:
    """The request body, sent with a Content-Length or chunked (kubectl streams ``-f -`` chunked)."""
    if "chunked" in (req.headers.get("Transfer-Encoding") or "").lower():
        data = b""
        while True:
            size = int(req.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while req.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return data
            data += req.rfile.read(size)
            req.rfile.readline()
    length = int(req.headers.get("Content-Length") or 0)
    return req.rfile.read(length) if length else b""


def _send(req: BaseHTTPRequestHandler, code: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    req.send_response(code)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    req.wfile.write(data)


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
