"""A small observability platform on 127.0.0.1 for ``obs-wizard verify``, behind tests/fake_kube.py's API server.

Real daemons: Prometheus and Alertmanager (Debian packages, started as in test_alert_pipeline.py with the
generated rules and the generated Alertmanager config, Slack URL read from a file), prometheus-node-exporter
(Debian) scraped as each node's node-exporter. Stand-ins, each small and honest about what it is: a
Slack-compatible incoming webhook (answers 200 "ok", or the status a test sets), a Loki HTTP API (push,
query_range with a stream selector and ``|=`` filters, labels, ready, metrics) that stores and returns what was
pushed, a Grafana API (health, login with the admin Secret's values, datasources, datasource health asking the
real Prometheus and the Loki stand-in), and metrics endpoints for the kubelet, kube-state-metrics and Alloy.

The fake API server lists the Flux objects, PVCs, pods, nodes, DaemonSet, Secret and events of a healthy
install; ``healthy_objects`` builds them and a test changes one to make a failure.
"""

from __future__ import annotations

import base64
import json
import re
import secrets as pysecrets
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable

import yaml

from tests.conftest import SHARED, require_tool
from tests.local_server import LocalServer
from tests.test_alert_pipeline import WATCHDOG_RULE, free_port, wait_for
from wizard.render import render
from wizard.render.extract import helmrelease_values, prometheus_rules
from wizard.validate.alertmanager import amtool_copy, effective_config

NS = "observability"
NODES = ["node-a", "node-b"]
SHA = "3f7a1c9e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a"
ADMIN_USER, ADMIN_PASSWORD = "admin", "s3cret-grafana-pw"

FAST_ANSWERS = ("cluster:\n  domain: example.com\n  node_count: 2\n  storage_class: local-path\n"
                "metrics:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "alerting:\n  rule_for: 10s\n  group_wait: 1s\n  heartbeat_period: 4s\n"
                "secrets:\n  heartbeat_item: alertmanager\n")


class Stub(LocalServer):
    """An HTTP server on 127.0.0.1: ``route(method, path, query, body, headers) -> (status, headers, body)``;
    it remembers every request as (time, method, path, body)."""

    def __init__(self, route: Callable[..., tuple[int, dict[str, str], bytes]]):
        self.requests: list[tuple[float, str, str, bytes]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection

            def log_message(self, *args):
                pass

            def _any(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path, _, query = self.path.partition("?")
                stub.requests.append((time.monotonic(), method, path, body))
                status, headers, answer = route(method, path, urllib.parse.parse_qs(query), body, self.headers)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self):  # noqa: N802
                self._any("GET")

            def do_POST(self):  # noqa: N802
                self._any("POST")

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()


class Slack:
    """A Slack-compatible incoming webhook: POST a JSON payload, answer 200 "ok" (or ``status``)."""

    def __init__(self):
        self.status = 200
        self.stub = Stub(self._route)

    def _route(self, method, path, query, body, headers):
        if self.status != 200:
            return self.status, {"Content-Type": "text/plain"}, b"internal_error"
        return 200, {"Content-Type": "text/plain"}, b"ok"

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, method, _, body in self.stub.requests if method == "POST"]


class Metrics:
    """A /metrics endpoint with the given text; ``status`` 500 makes its scrapes fail."""

    def __init__(self, text: str):
        self.text, self.status = text, 200
        self.stub = Stub(lambda *a: (self.status, {"Content-Type": "text/plain; version=0.0.4"},
                                     self.text.encode() if self.status == 200 else b"broken"))


_SELECTOR = re.compile(r'^\{(?P<matchers>[^}]*)\}(?P<filters>.*)$')
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*')
_FILTER = re.compile(r'\s*\|=\s*"((?:[^"\\]|\\.)*)"')


class Loki:
    """A stand-in for Loki's HTTP API (there is no Loki binary in the registries): JSON push, query_range for a
    stream selector of ``=`` matchers with ``|=`` line filters, labels, ready and metrics. It stores what was
    pushed and answers queries from it; anything else in a query is a 400, as Loki refuses a bad query."""

    def __init__(self):
        self.streams: dict[tuple[tuple[str, str], ...], list[tuple[int, str]]] = {}
        self.lock = threading.Lock()
        self.stub = Stub(self._route)

    def _route(self, method, path, query, body, headers):
        if path == "/ready":
            return 200, {"Content-Type": "text/plain"}, b"ready\n"
        if path == "/metrics":
            lines = sum(len(v) for v in self.streams.values())
            return 200, {"Content-Type": "text/plain"}, f"loki_distributor_lines_received_total {lines}\n".encode()
        if path == "/loki/api/v1/push" and method == "POST":
            if (headers.get("Content-Type") or "").split(";")[0] != "application/json":
                return 400, {"Content-Type": "text/plain"}, b"loading protobuf push payload: snappy: corrupt input\n"
            try:
                payload = json.loads(body)
                with self.lock:
                    for stream in payload["streams"]:
                        key = tuple(sorted(stream["stream"].items()))
                        self.streams.setdefault(key, []).extend((int(ts), line) for ts, line in stream["values"])
            except (ValueError, KeyError, TypeError) as exc:
                return 400, {"Content-Type": "text/plain"}, f"bad push: {exc}\n".encode()
            return 204, {}, b""
        if path == "/loki/api/v1/labels":
            with self.lock:
                names = sorted({k for key in self.streams for k, _ in key})
            return _json(200, {"status": "success", "data": names})
        if path == "/loki/api/v1/query_range":
            text = (query.get("query") or [""])[0]
            match = _SELECTOR.match(text.strip())
            if not match:
                return 400, {"Content-Type": "text/plain"}, b"parse error: a stream selector is required\n"
            matchers = dict(_MATCHER.findall(match["matchers"]))
            filters = _FILTER.findall(match["filters"])
            if _FILTER.sub("", match["filters"]).strip():
                return 400, {"Content-Type": "text/plain"}, b"parse error: only |= filters are served by this stand-in\n"
            start = int((query.get("start") or ["0"])[0])
            limit = int((query.get("limit") or ["100"])[0])
            result = []
            with self.lock:
                for key, values in self.streams.items():
                    labels = dict(key)
                    if all(labels.get(k) == v for k, v in matchers.items()):
                        found = [[str(ts), line] for ts, line in values if ts >= start and all(f in line for f in filters)]
                        if found:
                            result.append({"stream": labels, "values": sorted(found, reverse=True)[:limit]})
            return _json(200, {"status": "success", "data": {"resultType": "streams", "result": result}})
        return 404, {"Content-Type": "text/plain"}, b"404 page not found\n"


class Grafana:
    """A stand-in for the Grafana API verify uses: health, login (the admin user and password, a session cookie),
    the datasources (the chart's Prometheus and the answers' Loki) and their health, which asks the daemon."""

    def __init__(self, prometheus: str, loki: str):
        self.sessions: set[str] = set()
        self.upstream = {"prometheus": f"http://{prometheus}/-/ready", "loki": f"http://{loki}/ready"}
        self.stub = Stub(self._route)

    def _route(self, method, path, query, body, headers):
        if path == "/api/health":
            return _json(200, {"database": "ok", "version": "stand-in"})
        if path == "/login" and method == "POST":
            creds = json.loads(body or b"{}")
            if creds.get("user") == ADMIN_USER and creds.get("password") == ADMIN_PASSWORD:
                session = pysecrets.token_hex(8)
                self.sessions.add(session)
                return _json(200, {"message": "Logged in"}, {"Set-Cookie": f"grafana_session={session}; Path=/; HttpOnly"})
            return _json(401, {"message": "Invalid username or password"})
        cookie = headers.get("Cookie") or ""
        if not any(f"grafana_session={s}" in cookie for s in self.sessions):
            return _json(401, {"message": "Unauthorized"})
        if path == "/api/datasources":
            return _json(200, [
                {"uid": "prometheus", "name": "Prometheus", "type": "prometheus", "url": "http://kube-prometheus-stack-prometheus.observability:9090/"},
                {"uid": "loki", "name": "Loki", "type": "loki", "url": "http://loki.observability.svc.cluster.local:3100"},
            ])
        match = re.match(r"^/api/datasources/uid/([a-z]+)/health$", path)
        if match and match[1] in self.upstream:
            try:
                urllib.request.urlopen(self.upstream[match[1]], timeout=5).read()
            except OSError as exc:
                return _json(400, {"status": "ERROR", "message": f"Post error: {exc}"})
            return _json(200, {"status": "OK", "message": "Data source is working"})
        return _json(404, {"message": "Not found"})


KUBELET_METRICS = "# TYPE kubelet_running_pods gauge\nkubelet_running_pods 12\n"
#: Alloy's own loki.write counters (the names and labels Alloy exports): nothing dropped, every push answered 204.
ALLOY_LOKI = 'host="loki.observability.svc.cluster.local:3100",tenant=""'
ALLOY_DROPPED = f'loki_write_dropped_entries_total{{{ALLOY_LOKI},reason="ingester_error"}}'
ALLOY_REFUSED = f'loki_write_request_duration_seconds_count{{{ALLOY_LOKI},status_code="500"}}'
ALLOY_METRICS = ("# TYPE loki_write_dropped_entries_total counter\n"
                 f"{ALLOY_DROPPED} 0\n"
                 "# TYPE loki_write_request_duration_seconds histogram\n"
                 f'loki_write_request_duration_seconds_bucket{{{ALLOY_LOKI},status_code="204",le="+Inf"}} 40\n'
                 f'loki_write_request_duration_seconds_sum{{{ALLOY_LOKI},status_code="204"}} 1.5\n'
                 f'loki_write_request_duration_seconds_count{{{ALLOY_LOKI},status_code="204"}} 40\n'
                 f'loki_write_request_duration_seconds_bucket{{{ALLOY_LOKI},status_code="500",le="+Inf"}} 0\n'
                 f'loki_write_request_duration_seconds_sum{{{ALLOY_LOKI},status_code="500"}} 0\n'
                 f"{ALLOY_REFUSED} 0\n")
KSM_METRICS = '# TYPE kube_node_status_condition gauge\n' + "".join(
    f'kube_node_status_condition{{node="{n}",condition="Ready",status="true"}} 1\n' for n in NODES)
#: A recording rule that is healthy while one series verify_fixture_dup exists and fails (many-to-many) with two.
FIXTURE_RULES = {"name": "verify.fixture", "rules": [{"record": "verify:fixture", "expr": "up * on() group_left() verify_fixture_dup"}]}


class Platform:
    """Everything started, and the service map for the fake API server."""

    def __init__(self, tmp: Path, answers, processes: list[subprocess.Popen]):
        self.tmp, self.answers = tmp, answers
        files = render.render(answers)
        self.files = files
        self.slack = Slack()
        self.loki = Loki()
        self.kubelet = Metrics(KUBELET_METRICS)
        self.ksm = Metrics(KSM_METRICS + 'verify_fixture_dup{copy="a"} 1\n')
        self.alloy = Metrics(ALLOY_METRICS)
        prometheus, alertmanager = require_tool("prometheus"), require_tool("prometheus-alertmanager")
        node_exporter = require_tool("prometheus-node-exporter")
        self.am_port, self.prom_port, self.ne_port = free_port(), free_port(), free_port()
        self.grafana = Grafana(f"127.0.0.1:{self.prom_port}", self.loki.stub.address)

        # The generated rules (prometheus_rules includes the HelmRelease's additionalPrometheusRulesMap).
        groups = list({g["name"]: g for _, _, _, spec in prometheus_rules(files) for g in spec.get("groups", [])}.values())
        _, values = helmrelease_values(files, "kube-prometheus-stack")
        watchdog = {"name": "general.rules", "rules": [WATCHDOG_RULE]}  # the chart's, as in the alert-path test
        (tmp / "rules.yaml").write_text(yaml.safe_dump({"groups": [*groups, watchdog, FIXTURE_RULES]}))

        chart_values = SHARED / "charts/kube-prometheus-stack-88.5.3/values.yaml"
        defaults = yaml.safe_load(chart_values.read_text()) if chart_values.is_file() else None
        config = effective_config(values, defaults)
        url_file = tmp / "secrets/alertmanager-slack/slack-webhook-url"
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(f"http://{self.slack.stub.address}/services/T0FAKEFAK/B0FAKEFAK/notARealWebhookToken000\n")
        (receiver,) = [r for r in config["receivers"] if r["name"] == "slack"]
        receiver["slack_configs"][0]["api_url_file"] = str(url_file)
        # Alertmanager 0.25 has no url_file: the same one-key swap as the alert-path test, to the heartbeat stand-in.
        self.heartbeat = Slack()  # any 2xx is a delivered ping; status 500 makes it fail
        stand_in = amtool_copy(config)
        (hb,) = [r for r in stand_in["receivers"] if r["name"] == "heartbeat"]
        hb["webhook_configs"][0]["url"] = f"http://{self.heartbeat.stub.address}/ping/5f3c9a4e"
        (tmp / "alertmanager.yaml").write_text(yaml.safe_dump(stand_in))

        def job(name, targets, **labels):
            return {"job_name": name, "static_configs": [{"targets": targets, "labels": {"namespace": NS, **labels}}]}

        two = lambda address: [address, address.replace("127.0.0.1", "localhost")]  # noqa: E731 - one per node
        prom_config = {
            "global": {"scrape_interval": answers.metrics.scrape_interval, "evaluation_interval": answers.metrics.evaluation_interval},
            "rule_files": [str(tmp / "rules.yaml")],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.am_port}"]}]}]},
            "scrape_configs": [
                job("node-exporter", two(f"127.0.0.1:{self.ne_port}"), container="node-exporter"),
                job("kubelet", two(self.kubelet.stub.address)),
                job("kube-state-metrics", [self.ksm.stub.address], container="kube-state-metrics"),
                job("kube-prometheus-stack-prometheus", [f"127.0.0.1:{self.prom_port}"], container="prometheus"),
                job("kube-prometheus-stack-alertmanager", [f"127.0.0.1:{self.am_port}"], container="alertmanager"),
                job("loki", [self.loki.stub.address], container="loki"),
                job("alloy", two(self.alloy.stub.address), container="alloy"),
            ],
        }
        (tmp / "prometheus.yaml").write_text(yaml.safe_dump(prom_config))
        self.logs = {name: open(tmp / f"{name}.log", "w") for name in ("alertmanager", "prometheus", "node-exporter")}
        processes.append(subprocess.Popen(
            [alertmanager, f"--config.file={tmp / 'alertmanager.yaml'}", f"--storage.path={tmp / 'am-data'}",
             f"--web.listen-address=127.0.0.1:{self.am_port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=self.logs["alertmanager"], stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [prometheus, f"--config.file={tmp / 'prometheus.yaml'}", f"--storage.tsdb.path={tmp / 'prom-data'}",
             f"--web.listen-address=127.0.0.1:{self.prom_port}", "--log.level=warn",
             # The Watchdog fires at the first evaluation, before the 5 s Alertmanager discovery: resent after 1 s, not 1 m.
             "--rules.alert.resend-delay=1s"],
            stdout=self.logs["prometheus"], stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [node_exporter, f"--web.listen-address=127.0.0.1:{self.ne_port}", "--log.level=warn"],
            stdout=self.logs["node-exporter"], stderr=subprocess.STDOUT))
        for port in (self.am_port, self.prom_port):
            wait_for(lambda p=port: urllib.request.urlopen(f"http://127.0.0.1:{p}/-/ready", timeout=2).status == 200, 30, f"port {port} ready")
        self.wait_scraped()
        wait_for(lambda: self.heartbeat.payloads(), 30, "the first heartbeat", step=0.25)

    def services(self) -> dict[tuple[str, str, str], str]:
        return {
            (NS, "kube-prometheus-stack-prometheus", "9090"): f"127.0.0.1:{self.prom_port}",
            (NS, "kube-prometheus-stack-alertmanager", "9093"): f"127.0.0.1:{self.am_port}",
            (NS, "kube-prometheus-stack-grafana", "80"): self.grafana.stub.address,
            (NS, "loki", "3100"): self.loki.stub.address,
        }

    def targets(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.prom_port}/api/v1/targets?state=active", timeout=5) as r:
            return json.loads(r.read())["data"]["activeTargets"]

    def wait_scraped(self, job: str | None = None, health: str = "up") -> None:
        """Until every target (or ``job``'s) has been scraped with that health, and the rules evaluated."""
        def done():
            mine = [t for t in self.targets() if job is None or t["labels"]["job"] == job]
            return mine and all(t["health"] == health for t in mine)
        wait_for(done, 30, f"targets {job or 'all'} {health}", step=0.25)

    def ship_node_logs(self) -> None:
        """A fresh line from a pod on each node, labelled as Alloy labels them (namespace, pod, container, node)."""
        now = time.time_ns()
        with self.loki.lock:
            for node in NODES:
                key = tuple(sorted({"namespace": "kube-system", "pod": f"cilium-{node}", "container": "cilium-agent", "node": node}.items()))
                self.loki.streams.setdefault(key, []).append((now, f"level=info msg=\"endpoint regenerated\" node={node}"))

    def forget_node_logs(self, node: str) -> None:
        with self.loki.lock:
            for key in [k for k in self.loki.streams if dict(k).get("node") == node]:
                del self.loki.streams[key]

    def rule_health(self, group: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.prom_port}/api/v1/rules", timeout=5) as r:
            groups = json.loads(r.read())["data"]["groups"]
        return next(rule["health"] for g in groups if g["name"] == group for rule in g["rules"])

    def close(self) -> None:
        for stub in (self.slack.stub, self.heartbeat.stub, self.loki.stub, self.kubelet.stub, self.ksm.stub, self.alloy.stub, self.grafana.stub):
            stub.stop()
        for log in self.logs.values():
            log.close()


def _ready(status: str = "True", message: str = "Applied revision: main@sha1:" + SHA, reason: str = "ReconciliationSucceeded"):
    return [{"type": "Ready", "status": status, "reason": reason, "message": message,
             "lastTransitionTime": "2026-12-01T10:00:00Z"}]


def healthy_objects(answers) -> list[dict[str, Any]]:
    apps = answers.apps.enabled
    objs: list[dict[str, Any]] = []
    for name in apps:
        objs.append({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                     "metadata": {"name": name, "namespace": NS},
                     "status": {"conditions": _ready(), "lastAppliedRevision": f"main@sha1:{SHA}"}})
        objs.append({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                     "metadata": {"name": name, "namespace": NS},
                     "status": {"conditions": _ready(message=f"Helm install succeeded for release {NS}/{name}", reason="InstallSucceeded")}})
    objs.append({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                 "metadata": {"name": "flux-system", "namespace": "flux-system"},
                 "status": {"artifact": {"revision": f"main@sha1:{SHA}"}, "conditions": _ready()}})
    for name, size in (("prometheus-kube-prometheus-stack-db-prometheus-kube-prometheus-stack-0", answers.metrics.pvc_size),
                       ("alertmanager-kube-prometheus-stack-db-alertmanager-kube-prometheus-stack-0", "1Gi"),
                       ("storage-loki-0", answers.logs.pvc_size)):
        objs.append(pvc(name, size, answers.cluster.storage_class))
    for name, label in (("prometheus-kube-prometheus-stack-0", "prometheus"), ("alertmanager-kube-prometheus-stack-0", "alertmanager"),
                        ("kube-prometheus-stack-grafana-6d9c7b5f4-x2x7q", "grafana"), ("loki-0", "loki"),
                        ("alloy-7xk2p", "alloy"), ("alloy-q9c4d", "alloy")):
        objs.append(pod(name, label))
    for node in NODES:
        objs.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node},
                     "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    objs.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "alloy", "namespace": NS},
                 "status": {"desiredNumberScheduled": len(NODES), "numberReady": len(NODES), "currentNumberScheduled": len(NODES)}})
    objs.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "grafana-admin", "namespace": NS},
                 "data": {"admin-user": base64.b64encode(ADMIN_USER.encode()).decode(),
                          "admin-password": base64.b64encode(ADMIN_PASSWORD.encode()).decode()}})
    return objs


def pvc(name: str, size: str, storage_class: str, phase: str = "Bound") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": NS},
            "spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
            "status": {"phase": phase}}


def pod(name: str, label: str, ready: bool = True) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS, "labels": {"app.kubernetes.io/name": label}},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def warning(name: str, kind: str, reason: str, message: str, at: str = "2026-12-01T10:05:00Z") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": reason, "message": message, "lastTimestamp": at,
            "metadata": {"name": f"{name}.{pysecrets.token_hex(4)}", "namespace": NS},
            "involvedObject": {"kind": kind, "name": name, "namespace": NS}}


def git_repo(path: Path, sha: str = SHA) -> Path:
    """The .git files verify reads: HEAD naming refs/heads/main, and that ref (no git binary involved)."""
    (path / ".git/refs/heads").mkdir(parents=True, exist_ok=True)
    (path / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (path / ".git/refs/heads/main").write_text(sha + "\n")
    return path
