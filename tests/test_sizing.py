"""Sizing advice, the alert-latency budget and the heartbeat: computed from the answers, warnings never override."""

from __future__ import annotations

import re

from tests.conftest import MINIMAL_ANSWERS, flux_repo, run_cli
from wizard.answers import answers_file
from wizard.base import yamlio
from wizard.render import render, sizing
from wizard.render.extract import helmrelease_values

HEARTBEAT = "secrets:\n  heartbeat_item: alertmanager\n"


def parse(extra: str = ""):
    return answers_file.parse(MINIMAL_ANSWERS + extra, "a.yaml")


def test_disk_estimate_follows_the_documented_formula():
    estimate = sizing.prometheus_disk(parse())
    # platform + three control-plane nodes + three nodes of 30 pods (the figures cited in wizard/render/sizing.py)
    # each control-plane node: 12,000 less the 4,000 dropped bucket series (DROPPED_PER_CONTROL_PLANE_SERIES)
    series = 15_000 + 3 * (12_000 - 4_000) + 3 * (2_500 + 30 * 180)
    assert estimate.series == series == 62_700  # 74,700 before the dropped buckets
    assert sizing.DROPPED_PER_CONTROL_PLANE_SERIES == 4_000 and sizing.PER_CONTROL_PLANE_SERIES == 8_000
    assert abs(estimate.bytes_needed - series / 30 * 30 * 86400 * 2.0 * 1.3) <= 1  # ~13.1Gi
    assert not estimate.too_small and not estimate.cap_binds
    assert round(estimate.days_kept) == 30


def test_only_three_control_plane_nodes_are_counted():
    three, ten = sizing.prometheus_disk(parse()), sizing.prometheus_disk(parse().model_copy(
        update={"cluster": parse().cluster.model_copy(update={"node_count": 10})}))
    assert ten.series - three.series == 7 * (2_500 + 30 * 180)


def test_small_volume_warns_with_field_labels_and_keeps_the_answer():
    answers = parse("metrics:\n  pvc_size: 10Gi\n  retention: 90d\n")
    volume, cap = sizing.warnings(answers)[:2]
    assert volume.startswith("Prometheus volume size 10Gi is below the estimated need of ")
    assert "metrics." not in volume and "pvc_size" not in volume  # labels, not YAML keys
    assert answers.metrics.pvc_size == "10Gi"
    # The size cap (85% of 10Gi) binds long before 90 days: say how many days it really keeps.
    days = int(re.search(r"keeps only about (\d+) days", cap).group(1))
    assert days == int(units_cap(answers) / sizing.prometheus_disk(answers).bytes_per_day)
    assert "Metrics retention size" in cap and "of the 90d Metrics retention" in cap


def units_cap(answers) -> int:
    from wizard.answers import units

    return units.parse_bytesize(answers.metrics.effective_retention_size)


def test_one_estimate_everywhere(tmp_path):
    """The headless summary, the plain prompts and the wizard all print sizing.summary (issue 13 item 7)."""
    answers = parse("metrics:\n  retention: 90d\n")
    lines = sizing.summary(answers)
    path = tmp_path / "answers.yaml"
    path.write_text(MINIMAL_ANSWERS + "metrics:\n  retention: 90d\n")
    result = run_cli("--answers", path, "--repo", flux_repo(tmp_path / "repo"), "--dry-run", "--skip-secret-check")
    assert result.code == 0, result
    for line in lines:
        assert line in result.out
    assert len(set(re.findall(r"~(\d+\.\d)Gi for", result.out))) == 1


def test_prometheus_resources_come_from_the_same_estimate():
    answers = parse()
    memory = sizing.prometheus_memory(answers)
    assert memory.request_bytes == 256 * 2**20 + 62_700 * 3_000
    assert (memory.request, memory.limit) == ("448Mi", "2048Mi")  # at least 2Gi: home-ops run 2000Mi-4Gi
    _, values = helmrelease_values(render.render(answers), "kube-prometheus-stack")
    resources = values["prometheus"]["prometheusSpec"]["resources"]
    assert resources == {"requests": {"cpu": "200m", "memory": "448Mi"}, "limits": {"memory": "2048Mi"}}
    bigger = sizing.prometheus_memory(parse().model_copy(update={"cluster": parse().cluster.model_copy(update={"node_count": 40})}))
    assert bigger.request_bytes > memory.request_bytes and bigger.limit_bytes == 2 * bigger.request_bytes


def test_quickstart_sizing_table_is_generated_from_the_estimate():
    from tests.conftest import ROOT

    text = (ROOT / "quickstart.md").read_text(encoding="utf-8")
    assert sizing.replace_block(text) == text, "run `python -m wizard.render.sizing` to regenerate quickstart.md"
    for size in sizing.container_sizes(parse()).values():
        assert f"| {size.component} | `{size.values_path}` | {size.cpu} | {size.request} | {size.limit} |" in text


def test_latency_budget_includes_scrape_timeout_and_group_interval():
    budget = sizing.alert_latency(parse())
    assert budget.total == 30 + 10 + 30 + 60 + 30 == 160 and budget.within_target
    assert budget.joining_group == 160 - 30 + 300
    text = budget.describe()
    assert text.startswith("2m40s worst case (30s scrape + 10s scrape timeout + 30s evaluation + 1m for + 30s group_wait)")
    assert "up to 7m10s when the alert joins a group already sent" in text
    coverage = "\n".join(sizing.summary(parse()))
    assert "covers PrometheusDown, AlertmanagerDown, LokiDown, AlloyDown," in coverage and "and the heartbeat" not in coverage
    assert "a fixed for: of 5m to 15m" in coverage and "most 5m to 15m, some up to 4h" in coverage
    assert "KubeStateMetricsDown and the heartbeat;" in "\n".join(sizing.summary(parse(HEARTBEAT)))
    slow = parse("metrics:\n  scrape_interval: 1m\nalerting:\n  rule_for: 2m\n")
    assert sizing.alert_latency(slow).total == 60 + 10 + 30 + 120 + 30
    (warning,) = [w for w in sizing.warnings(slow) if "latency" in w]
    assert "alert -> Slack latency 4m10s worst case" in warning and "Alert pending time" in warning


def test_warnings_are_shown_in_a_dry_run(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS + "metrics:\n  pvc_size: 5Gi\nalerting:\n  group_wait: 2m\n")
    result = run_cli("--answers", answers, "--repo", flux_repo(tmp_path / "repo"), "--dry-run")
    assert result.code == 0, result
    assert "warning: Prometheus volume size 5Gi is below the estimated need" in result.out
    assert "warning: alert -> Slack latency 4m10s worst case" in result.out
    assert f"warning: {sizing.NO_HEARTBEAT}" in result.out


# --- heartbeat --------------------------------------------------------------------------------------


def test_no_heartbeat_is_said_plainly_and_only_then():
    assert sizing.NO_HEARTBEAT in sizing.warnings(parse())
    assert "dies, no alert reaches Slack and nothing tells you" in sizing.NO_HEARTBEAT
    assert sizing.NO_HEARTBEAT not in sizing.warnings(parse(HEARTBEAT))
    assert any(line.startswith("Heartbeat: Alertmanager pings the heartbeat URL every 5m") for line in sizing.summary(parse(HEARTBEAT)))


def test_heartbeat_schedule_sends_exactly_every_period():
    """The tick divides the period and repeat_interval is half a tick short of it (see HeartbeatSchedule)."""
    for period, tick, repeat in (("5m", "1m", "4m30s"), ("90s", "45s", "1m08s"), ("4s", "2s", "3s"), ("5s", "2500ms", "3750ms"),
                                 ("5m30s", "55s", "5m02s"), ("1h", "1m", "59m30s")):
        schedule = sizing.heartbeat_schedule(parse(HEARTBEAT + f"alerting:\n  heartbeat_period: {period}\n"))
        assert (schedule.tick_text, schedule.repeat_text) == (tick, repeat), period
        ticks = schedule.period / schedule.tick
        assert ticks == int(ticks) >= 2 and schedule.tick <= 60
        # Alertmanager re-sends at the first tick where (last send + a moment) < now - repeat_interval,
        # the ticks drifting late: with up to a third of a tick either way, still exactly every period.
        for drift in (0.0, schedule.tick / 3):
            for moment in (0.001, schedule.tick / 3):
                sends_at = next(k for k in range(1, 200) if moment < k * schedule.tick + drift - schedule.repeat)
                assert sends_at * schedule.tick == schedule.period, (period, drift, moment)
        assert schedule.repeat >= schedule.tick  # no "repeat_interval is less than group_interval" warning
    assert sizing.heartbeat_schedule(parse()) is None


def test_heartbeat_render_secret_mount_and_route():
    files = render.render(parse(HEARTBEAT + "alerting:\n  heartbeat_period: 2m\n"))
    base = "kubernetes/apps/observability/kube-prometheus-stack/app"
    secrets = [d for d in yamlio.load_all(files[f"{base}/externalsecret.yaml"]) if d]
    heartbeat = next(d for d in secrets if d["metadata"]["name"] == "alertmanager-heartbeat")
    assert heartbeat["spec"]["target"]["template"]["data"] == {"heartbeat-url": '{{ index . "HEARTBEAT_URL" }}'}
    assert heartbeat["spec"]["dataFrom"] == [{"extract": {"key": "alertmanager"}}]
    _, values = helmrelease_values(files, "kube-prometheus-stack")
    am = values["alertmanager"]
    assert am["alertmanagerSpec"]["secrets"] == ["alertmanager-slack", "alertmanager-heartbeat"]
    (route,) = [r for r in am["config"]["route"]["routes"] if r["receiver"] == "heartbeat"]
    assert route["matchers"] == ['alertname = "Watchdog"']
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("0s", "1m", "1m30s")
    (receiver,) = [r for r in am["config"]["receivers"] if r["name"] == "heartbeat"]
    assert receiver["webhook_configs"] == [{"url_file": "/etc/alertmanager/secrets/alertmanager-heartbeat/heartbeat-url",
                                            "send_resolved": False}]
    without = render.render(parse())
    assert "alertmanager-heartbeat" not in "".join(without.values())
    _, values = helmrelease_values(without, "kube-prometheus-stack")
    assert values["alertmanager"]["config"]["route"]["routes"][0]["matchers"] == ['alertname =~ "Watchdog|InfoInhibitor"']


def test_slack_text_has_one_alert_per_line():
    _, values = helmrelease_values(render.render(parse()), "kube-prometheus-stack")
    (slack,) = [r for r in values["alertmanager"]["config"]["receivers"] if r["name"] == "slack"]
    text = slack["slack_configs"][0]["text"]
    assert text.startswith("{{ range .Alerts }}") and text.endswith("\n{{ end }}")
    assert text.count("\n") == 1  # the line break inside range: one line per alert
    # description, else summary, else the alert name
    assert ("{{ if .Annotations.description }}{{ .Annotations.description }}{{ else if .Annotations.summary }}"
            "{{ .Annotations.summary }}{{ else }}{{ .Labels.alertname }}{{ end }}") in text


def test_external_urls_are_pages_a_person_can_open():
    def urls(extra: str = ""):
        files = render.render(parse(extra))
        _, values = helmrelease_values(files, "kube-prometheus-stack")
        (slack,) = [r for r in values["alertmanager"]["config"]["receivers"] if r["name"] == "slack"]
        return (values["prometheus"]["prometheusSpec"].get("externalUrl"), values["alertmanager"]["alertmanagerSpec"].get("externalUrl"),
                files["kubernetes/apps/observability/kube-prometheus-stack/app/httproute.yaml"], slack["slack_configs"][0])

    prometheus, alertmanager, routes, slack = urls()  # the default: routes on Grafana's gateway
    assert (prometheus, alertmanager) == ("https://prometheus.example.com", "https://alertmanager.example.com")
    assert slack["title_link"].startswith("{{ .ExternalURL }}/#/alerts") and "{{ .GeneratorURL }}" in slack["text"]
    docs = [d for d in yamlio.load_all(routes) if d]
    assert [(d["metadata"]["name"], d["spec"]["hostnames"], d["spec"]["rules"][0]["backendRefs"][0]) for d in docs] == [
        ("grafana", ["grafana.example.com"], {"name": "kube-prometheus-stack-grafana", "port": 80}),
        ("prometheus", ["prometheus.example.com"], {"name": "kube-prometheus-stack-prometheus", "port": 9090}),
        ("alertmanager", ["alertmanager.example.com"], {"name": "kube-prometheus-stack-alertmanager", "port": 9093}),
    ]
    assert all(d["spec"]["parentRefs"] == docs[0]["spec"]["parentRefs"] for d in docs)
    prometheus, alertmanager, routes, slack = urls("grafana:\n  expose_prometheus_alertmanager: false\n")
    assert (prometheus, alertmanager) == (None, None) and routes.count("kind: HTTPRoute") == 1
    # No link that cannot open: no title link (Alertmanager's default would be its in-cluster address), no graph link.
    assert slack["title_link"] == "" and "URL" not in slack["text"] and "URL" not in slack["fallback"]


def test_heartbeat_and_slack_cannot_share_a_field():
    import pytest

    from wizard.answers.answers_file import AnswersInvalid

    with pytest.raises(AnswersInvalid) as caught:
        parse("secrets:\n  heartbeat_item: alertmanager\n  heartbeat_url_field: SLACK_WEBHOOK_URL\n")
    assert "the heartbeat URL and the Slack webhook must be different fields" in str(caught.value)
    assert parse("secrets:\n  heartbeat_item: heartbeat\n  heartbeat_url_field: SLACK_WEBHOOK_URL\n")  # another item: fine


# --- only the apps switched on ----------------------------------------------------------------------

KPS_OFF = "apps:\n  kube_prometheus_stack: false\n"
LOKI_OFF = "apps:\n  loki: false\n  alloy: false\n"


def test_the_summary_speaks_only_of_the_apps_switched_on():
    full = sizing.summary(parse(HEARTBEAT))
    assert any(line.startswith("Prometheus disk:") for line in full) and any(line.startswith("Loki: logs kept 7d") for line in full)
    no_metrics = parse(KPS_OFF + "metrics:\n  pvc_size: 1Gi\n" + HEARTBEAT)  # a too-small volume it does not write
    lines = "\n".join(sizing.summary(no_metrics))
    for word in ("Prometheus disk", "Prometheus memory", "Alert -> Slack", "Heartbeat"):
        assert word not in lines
    assert sizing.NO_METRICS in lines and "Loki: logs kept 7d on a 10Gi volume" in lines
    assert sizing.warnings(no_metrics) == [] and sizing.heartbeat_warning(parse(KPS_OFF)) is None
    no_logs = "\n".join(sizing.summary(parse(LOKI_OFF)))
    assert "Loki" not in no_logs and "Prometheus disk:" in no_logs


def test_headless_summary_with_kube_prometheus_stack_off_says_so(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS + KPS_OFF)
    result = run_cli("--answers", answers, "--repo", flux_repo(tmp_path / "repo"), "--dry-run", "--skip-secret-check")
    assert result.code == 0, result
    assert sizing.NO_METRICS in result.out and "Loki: logs kept 7d" in result.out
    printed = result.out.splitlines()  # the dry run's diffs include the answers schema: look at whole lines
    assert not [line for line in printed if line.startswith(("Prometheus disk", "Prometheus memory", "Alert -> Slack", "Heartbeat",
                                                             "warning: "))]
    answers.write_text(MINIMAL_ANSWERS + LOKI_OFF)
    result = run_cli("--answers", answers, "--repo", flux_repo(tmp_path / "repo2"), "--dry-run", "--skip-secret-check")
    assert result.code == 0, result
    assert "Prometheus disk:" in result.out and "Loki: logs kept" not in result.out
