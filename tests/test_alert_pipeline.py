"""End to end: a target goes down -> the generated rule fires -> Alertmanager posts to "Slack".

The real Prometheus and Alertmanager (Debian packages) run on 127.0.0.1 with the generated scrape and
evaluation intervals, the generated LokiDown rule and the generated Alertmanager configuration; the
Slack receiver reads its URL from a file (api_url_file) exactly as in the cluster, pointing at a
local HTTP server standing in for Slack. Takes about 2.5 minutes; bounded; every process is stopped.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHARED, require_tool
from wizard import render, sizing
from wizard.validate.alertmanager import effective_config
from wizard.validate.extract import helmrelease_values, prometheus_rules

DEADLINE_SECONDS = 240  # give up well after the 180 s target, so a slow run fails instead of hanging
TARGET_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that remembers each request: (arrival time, path, body)."""

    def __init__(self, answer: bytes = b"ok"):
        self.requests: list[tuple[float, str, bytes]] = []
        self.answer = answer
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            # One request per connection: once stopped, the server refuses every scrape (a kept-alive
            # connection would go on being served by its thread and the target would never look down).
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def _reply(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                self._reply(recorder.answer)

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.requests.append((time.monotonic(), self.path, body))
                self._reply(b"ok")

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_for(condition, timeout: float, what: str, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except OSError:
            pass
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert all(proc.poll() is not None for proc in started)


def run_pipeline(answers, tmp_path: Path, processes: list, deadline: float) -> tuple[float, dict, str, dict]:
    """Start everything, stop the target, return (latency, stages, slack path, slack payload)."""
    example_answers = answers
    prometheus = require_tool("prometheus")
    alertmanager = require_tool("prometheus-alertmanager")
    files = render.render(example_answers)
    ns = example_answers.flux.namespace

    # The generated rule for a down target.
    (_, _, _, rule_spec), = prometheus_rules(files)
    rules = [r for g in rule_spec["groups"] for r in g["rules"] if r.get("alert") == "LokiDown"]
    assert len(rules) == 1
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "e2e", "rules": rules}]}))

    # The generated Alertmanager configuration, as the chart renders it, Slack URL read from a file.
    chart_values = SHARED / "charts/kube-prometheus-stack-88.5.3/values.yaml"
    defaults = yaml.safe_load(chart_values.read_text()) if chart_values.is_file() else None
    _, values = helmrelease_values(files, "kube-prometheus-stack")
    config = effective_config(values, defaults)
    slack = Recorder()
    url_file = tmp_path / "secrets/alertmanager-slack/slack-webhook-url"
    url_file.parent.mkdir(parents=True)
    url_file.write_text(f"http://127.0.0.1:{slack.port}/services/T0FAKEFAK/B0FAKEFAK/notARealWebhookToken000\n")
    (receiver,) = [r for r in config["receivers"] if r["name"] == "slack"]
    assert receiver["slack_configs"][0]["api_url_file"].startswith("/etc/alertmanager/secrets/")
    receiver["slack_configs"][0]["api_url_file"] = str(url_file)
    (tmp_path / "alertmanager.yaml").write_text(yaml.safe_dump(config))

    # A scrape target standing in for Loki, labelled as the operator's ServiceMonitor labels it.
    target = Recorder(answer=b"# TYPE loki_build_info gauge\nloki_build_info 1\n")
    am_port, prom_port = free_port(), free_port()
    prom_config = {
        "global": {
            "scrape_interval": example_answers.metrics.scrape_interval,
            "evaluation_interval": example_answers.metrics.evaluation_interval,
        },
        "rule_files": [str(tmp_path / "rules.yaml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
        "scrape_configs": [{
            "job_name": "loki",
            "static_configs": [{"targets": [f"127.0.0.1:{target.port}"], "labels": {"namespace": ns, "container": "loki"}}],
        }],
    }
    (tmp_path / "prometheus.yaml").write_text(yaml.safe_dump(prom_config))
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("alertmanager", "prometheus")}
    processes.append(subprocess.Popen(
        [alertmanager, f"--config.file={tmp_path / 'alertmanager.yaml'}", f"--storage.path={tmp_path / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=",
         f"--web.external-url=http://127.0.0.1:{am_port}", "--log.level=warn"],
        stdout=logs["alertmanager"], stderr=subprocess.STDOUT))
    processes.append(subprocess.Popen(
        [prometheus, f"--config.file={tmp_path / 'prometheus.yaml'}", f"--storage.tsdb.path={tmp_path / 'prom-data'}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
        stdout=logs["prometheus"], stderr=subprocess.STDOUT))
    try:
        for port in (am_port, prom_port):
            wait_for(lambda p=port: urllib.request.urlopen(f"http://127.0.0.1:{p}/-/ready", timeout=2).status == 200, 30, f"port {port} ready")
        query = urllib.parse.quote(f'up{{namespace="{ns}", container="loki"}}')

        def target_up():
            result = get_json(f"http://127.0.0.1:{prom_port}/api/v1/query?query={query}")["data"]["result"]
            return result and result[0]["value"][1] == "1"

        wait_for(target_up, 90, "the first successful scrape")
        # A clean start: the rule must not have fired before the first scrape (absent() is true until
        # then), or Alertmanager's group would hold the real notification back by group_interval.
        assert get_json(f"http://127.0.0.1:{am_port}/api/v2/alerts") == [], "the alert fired before the target was first scraped"
        target.stop()
        stopped = time.monotonic()
        stages: dict[str, float] = {}

        def delivered():
            for arrived, path, body in slack.requests:
                payload = json.loads(body)
                if "LokiDown" in json.dumps(payload):
                    return arrived, path, payload
            alerts = get_json(f"http://127.0.0.1:{prom_port}/api/v1/alerts")["data"]["alerts"]
            for alert in alerts:
                stages.setdefault(alert["state"], round(time.monotonic() - stopped, 1))
            return None

        try:
            arrived, path, payload = wait_for(delivered, deadline, "the Slack POST", step=0.25)
        except AssertionError:
            for name in logs:
                print(f"--- {name} log ---\n" + (tmp_path / f"{name}.log").read_text()[-3000:])
            print(f"stages: {stages}; slack requests: {slack.requests}")
            metrics = urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/metrics", timeout=5).read().decode()
            print("\n".join(line for line in metrics.splitlines() if line.startswith("prometheus_notifications")))
            raise
        return arrived - stopped, stages, path, payload
    finally:
        slack.stop()
        for log in logs.values():
            log.close()


def check_delivery(answers, path: str, payload: dict) -> None:
    assert path == "/services/T0FAKEFAK/B0FAKEFAK/notARealWebhookToken000"
    attachment = payload["attachments"][0]
    assert attachment["title"].startswith("[FIRING:1]") and "LokiDown" in attachment["title"]
    assert f"Loki in {answers.flux.namespace} has no healthy scrape target." in attachment["text"]
    assert payload["channel"] == answers.alerting.slack_channel


def test_pipeline_fast_settings(tmp_path: Path, processes):
    """The same pipeline at 1 s intervals: quick proof that rule, routing and delivery connect."""
    from tests.conftest import MINIMAL_ANSWERS
    from wizard import answers_file

    answers = answers_file.parse(
        MINIMAL_ANSWERS + "metrics:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "alerting:\n  rule_for: 10s\n  group_wait: 1s\n", "fast.yaml")  # for > Prometheus's 5 s discovery delay
    latency, stages, path, payload = run_pipeline(answers, tmp_path, processes, deadline=60)
    print(f"\nfast settings: alert -> Slack {latency:.1f} s; stages {stages}")
    assert latency <= sizing.alert_latency(answers).total + 10
    check_delivery(answers, path, payload)


@pytest.mark.slow
def test_alert_reaches_slack_within_three_minutes(tmp_path: Path, processes, example_answers):
    latency, stages, path, payload = run_pipeline(example_answers, tmp_path, processes, deadline=DEADLINE_SECONDS)
    print(f"\nalert -> Slack latency: {latency:.1f} s (stages after target stop: {stages}); "
          f"budget {sizing.alert_latency(example_answers).describe()}")
    assert latency <= TARGET_SECONDS
    check_delivery(example_answers, path, payload)
