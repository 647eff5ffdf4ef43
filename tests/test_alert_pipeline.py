"""End to end: a target goes down -> the generated rule fires -> Alertmanager posts to "Slack";
and the always-firing Watchdog pings the heartbeat until Prometheus dies.

The real Prometheus and Alertmanager (Debian packages) run on 127.0.0.1 with the generated scrape and
evaluation intervals, the generated LokiDown rule, the chart's Watchdog rule and the generated
Alertmanager configuration. The Slack receiver reads its URL from a file (api_url_file) exactly as in
the cluster, pointing at a local HTTP server standing in for Slack. The heartbeat receiver's
``url_file`` is Alertmanager >= 0.26 (the cluster runs 0.34); Debian's 0.25 refuses it, so here it
becomes ``url:`` pointing at a local heartbeat receiver -- the same one-key swap the amtool check makes
(wizard.validate.alertmanager.amtool_copy), everything else is the generated config.

Short heartbeat periods come from the test answers (the production default, 5m, would make the test
last many minutes); Prometheus runs with --rules.alert.resend-delay=1s in the fast test so that a
dead Prometheus's last Watchdog expires in 4 x 1s instead of 4 x 1m. Heartbeat timings are measured
and printed, not asserted; the only timed assertion is the seed's promise: alert -> Slack within 3
minutes at the production settings. Bounded; every process is stopped.
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
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from tests.conftest import MINIMAL_ANSWERS, SHARED, need, require_tool
from tests.local_server import LocalServer
from wizard.answers import answers_file
from wizard.render import render, sizing
from wizard.render.extract import helmrelease_values, prometheus_rules
from wizard.validate.alertmanager import URL_FILE_STAND_IN, amtool_copy, effective_config

DEADLINE_SECONDS = 240  # give up well after the 180 s target, so a slow run fails instead of hanging
TARGET_SECONDS = 180


HEARTBEAT_TOKEN = "gatus-token-from-1password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder(LocalServer):
    """An HTTP server on 127.0.0.1 that remembers each request: (arrival time, path, body)."""

    def __init__(self, answer: bytes = b"ok"):
        self.requests: list[tuple[float, str, bytes]] = []
        self.authorizations: list[str | None] = []  # the Authorization header of each POST
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
                recorder.authorizations.append(self.headers.get("Authorization"))
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


def stop_all(started: list[subprocess.Popen]) -> None:
    """SIGTERM every daemon still running, then wait for each (SIGKILL after 10 s)."""
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    stop_all(started)
    assert all(proc.poll() is not None for proc in started)


#: The chart's Watchdog (kube-prometheus-stack templates/prometheus/rules-1.14/general.rules.yaml).
WATCHDOG_RULE = {"alert": "Watchdog", "expr": "vector(1)", "labels": {"severity": "none"},
                 "annotations": {"summary": "An alert that should always be firing to certify that Alertmanager is working properly."}}


def test_the_watchdog_rule_is_the_charts():
    template = SHARED / "charts-src/kube-prometheus-stack-88.5.3/templates/prometheus/rules-1.14/general.rules.yaml"
    need(template.is_file(), f"{template} is absent (the chart sources live in ../shared/charts-src)")
    text = template.read_text()
    watchdog = text[text.index("- alert: Watchdog"):text.index("- alert: InfoInhibitor")]
    assert "expr: vector(1)" in watchdog and '"severity" "none"' in watchdog and "for:" not in watchdog


class Pipeline:
    """What a run leaves for the test to look at: the receivers and the Prometheus process."""

    def __init__(self, slack: Recorder, heartbeat: Recorder, prometheus: subprocess.Popen, started: float):
        self.slack, self.heartbeat, self.prometheus, self.started = slack, heartbeat, prometheus, started

    def heartbeats(self) -> list[float]:
        return [arrived for arrived, _, _ in self.heartbeat.requests]


def run_pipeline(answers, tmp_path: Path, processes: list, deadline: float,
                 resend_delay: str | None = None) -> tuple[float, dict, str, dict, Pipeline]:
    """Start everything, stop the target, return (latency, stages, slack path, slack payload, pipeline).

    The heartbeat receiver goes on recording after the return; the caller stops it."""
    example_answers = answers
    prometheus = require_tool("prometheus")
    alertmanager = require_tool("prometheus-alertmanager")
    files = render.render(example_answers)
    ns = example_answers.flux.namespace

    # The generated rule for a down target.
    (_, _, _, rule_spec), = prometheus_rules(files)
    rules = [r for g in rule_spec["groups"] for r in g["rules"] if r.get("alert") == "LokiDown"]
    assert len(rules) == 1
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "e2e", "rules": [*rules, WATCHDOG_RULE]}]}))

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
    heartbeat = Recorder()
    heartbeat_url = f"http://127.0.0.1:{heartbeat.port}/ping/5f3c9a4e"
    stand_in = amtool_copy(config)  # url_file -> url, the one key Alertmanager 0.25 does not know
    (hb,) = [r for r in stand_in["receivers"] if r["name"] == "heartbeat"]
    assert hb["webhook_configs"][0]["url"] == URL_FILE_STAND_IN and hb["webhook_configs"][0]["send_resolved"] is False
    hb["webhook_configs"][0]["url"] = heartbeat_url
    authorization = (hb["webhook_configs"][0].get("http_config") or {}).get("authorization")
    if authorization:  # a gatus bearer token: read from a file as in the cluster, here a local one
        assert authorization["credentials_file"].startswith("/etc/alertmanager/secrets/alertmanager-heartbeat/")
        token_file = tmp_path / "secrets/alertmanager-heartbeat/heartbeat-token"
        token_file.parent.mkdir(parents=True)
        token_file.write_text(HEARTBEAT_TOKEN)
        authorization["credentials_file"] = str(token_file)
    (tmp_path / "alertmanager.yaml").write_text(yaml.safe_dump(stand_in))

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
    started = time.monotonic()
    processes.append(subprocess.Popen(
        [prometheus, f"--config.file={tmp_path / 'prometheus.yaml'}", f"--storage.tsdb.path={tmp_path / 'prom-data'}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn",
         *([f"--rules.alert.resend-delay={resend_delay}"] if resend_delay else [])],
        stdout=logs["prometheus"], stderr=subprocess.STDOUT))
    pipeline = Pipeline(slack, heartbeat, processes[-1], started)
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
        early = [a["labels"]["alertname"] for a in get_json(f"http://127.0.0.1:{am_port}/api/v2/alerts")]
        assert "LokiDown" not in early, "the alert fired before the target was first scraped"
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
                if alert["labels"].get("alertname") == "LokiDown":  # not the always-firing Watchdog
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
        assert not any(b"Watchdog" in body for _, _, body in slack.requests), "the Watchdog reached Slack"
        return arrived - stopped, stages, path, payload, pipeline
    except BaseException:
        heartbeat.stop()
        raise
    finally:
        slack.stop()
        for log in logs.values():
            log.close()


def measured_heartbeat(pipeline: Pipeline, answers) -> tuple[float, list[float]]:
    """(seconds from Prometheus's start to the first ping, the gaps between pings); printed, not asserted."""
    arrivals = pipeline.heartbeats()
    assert arrivals, "no heartbeat reached the heartbeat receiver"
    for _, path, body in pipeline.heartbeat.requests:
        assert path == "/ping/5f3c9a4e"
        payload = json.loads(body)
        assert payload["status"] == "firing" and [a["labels"]["alertname"] for a in payload["alerts"]] == ["Watchdog"]
    gaps = [round(b - a, 1) for a, b in zip(arrivals, arrivals[1:])]
    schedule = sizing.heartbeat_schedule(answers)
    print(f"heartbeat: first ping {arrivals[0] - pipeline.started:.1f} s after Prometheus started; then every {gaps} s "
          f"(promised: every {schedule.period_text})")
    return arrivals[0] - pipeline.started, gaps


def check_delivery(answers, path: str, payload: dict) -> None:
    assert path == "/services/T0FAKEFAK/B0FAKEFAK/notARealWebhookToken000"
    attachment = payload["attachments"][0]
    assert attachment["title"].startswith("[FIRING:1]") and "LokiDown" in attachment["title"]
    # One line per alert: its description (else its summary, else its name), then a link to the expression in
    # Prometheus (its externalUrl; here the test Prometheus's own address).
    (line,) = attachment["text"].splitlines()
    assert line.startswith(f"• *critical* No Loki target in namespace {answers.flux.namespace} has answered a scrape for ")
    assert "/graph?g0.expr=" in line and line.endswith("|graph>")
    assert attachment.get("title_link", "").endswith("/#/alerts?receiver=slack")
    assert payload["channel"] == answers.alerting.slack_channel


def test_pipeline_fast_settings(tmp_path: Path, processes):
    """The same pipeline at 1 s intervals: quick proof that rule, routing and delivery connect, and that
    the heartbeat arrives (with a gatus-style bearer token), repeats, and stops when Prometheus dies."""
    answers = answers_file.parse(
        MINIMAL_ANSWERS + "metrics:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "alerting:\n  rule_for: 10s\n  group_wait: 1s\n  heartbeat_period: 3s\n"  # for > Prometheus's 5 s discovery delay
        "secrets:\n  heartbeat_item: alertmanager\n  heartbeat_token_field: HEARTBEAT_TOKEN\n", "fast.yaml")
    latency, stages, path, payload, pipeline = run_pipeline(answers, tmp_path, processes, deadline=60, resend_delay="1s")
    try:
        print(f"\nfast settings: alert -> Slack {latency:.1f} s; stages {stages}")
        assert latency <= sizing.alert_latency(answers).total + 10
        check_delivery(answers, path, payload)
        period = sizing.heartbeat_schedule(answers).period
        wait_for(lambda: len(pipeline.heartbeats()) >= 6, 12 * period, "six heartbeats")
        measured_heartbeat(pipeline, answers)
        assert set(pipeline.heartbeat.authorizations) == {f"Bearer {HEARTBEAT_TOKEN}"}  # every ping carries the token
        assert set(pipeline.slack.authorizations) == {None}  # and Slack never gets it

        # Prometheus dies (SIGKILL, as with its node): the pings must stop. Alertmanager keeps the last
        # Watchdog for 4 x max(resend delay, evaluation interval) = 4 s here, then one more period at most.
        pipeline.prometheus.kill()
        killed = time.monotonic()
        quiet = 4 * period

        def gone_quiet():
            last = max(pipeline.heartbeats())
            return time.monotonic() - max(last, killed) >= quiet and last

        last = wait_for(gone_quiet, 60, f"{quiet:.0f} s without a heartbeat after Prometheus was killed")
        print(f"heartbeat after Prometheus was killed: last ping at {last - killed:+.1f} s "
              f"(Alertmanager keeps the last Watchdog 4 x 1 s here; 4 x max(1m, evaluation interval) in the cluster), "
              f"then silence for {time.monotonic() - last:.1f} s")
    finally:
        pipeline.heartbeat.stop()


@pytest.mark.slow
def test_alert_reaches_slack_within_three_minutes(tmp_path: Path, processes, example_answers):
    """Production intervals (the example answers) for the Slack promise; a 10 s heartbeat from the test
    answers, measured during the same run."""
    answers = example_answers.model_copy(update={
        "secrets": example_answers.secrets.model_copy(update={"heartbeat_item": "alertmanager"}),
        "alerting": example_answers.alerting.model_copy(update={"heartbeat_period": "10s"}),
    })
    latency, stages, path, payload, pipeline = run_pipeline(answers, tmp_path, processes, deadline=DEADLINE_SECONDS)
    try:
        budget = sizing.alert_latency(answers)
        print(f"\nalert -> Slack latency: {latency:.1f} s (stages after target stop: {stages}); budget {budget.describe()}; "
              f"margin to the {TARGET_SECONDS} s target: {TARGET_SECONDS - latency:.1f} s")
        assert latency <= TARGET_SECONDS
        check_delivery(answers, path, payload)
        measured_heartbeat(pipeline, answers)
    finally:
        pipeline.heartbeat.stop()
