"""The checks that need the real promtool/amtool, the chart defaults, or the Alloy parser."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_ANSWERS, require_tool
from wizard.answers import answers_file
from wizard.base import yamlio
from wizard.render import render
from wizard.render.extract import helmrelease_values
from wizard.validate import check_flux_variables
from wizard.validate.alertmanager import URL_FILE_STAND_IN, amtool_copy, check_alertmanager, effective_config
from wizard.validate.alloy_syntax import problems
from wizard.validate.chart_values import FREE_FORM, check_chart_values
from wizard.validate.rules import check_rules

NS = "kubernetes/apps/observability"
KPS = f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"
RULE = KPS  # the self-monitoring rules ride in its additionalPrometheusRulesMap
RULES_DOC = "HelmRelease/kube-prometheus-stack additionalPrometheusRulesMap.self-monitoring"


@pytest.fixture
def promtool() -> str:
    return require_tool("promtool")


@pytest.fixture
def amtool() -> str:
    return require_tool("amtool")


@pytest.fixture
def kps_defaults(charts_dir):
    import yaml

    return yaml.safe_load((charts_dir / "kube-prometheus-stack-88.5.3/values.yaml").read_text())


def answers(extra: str = ""):
    return answers_file.parse(MINIMAL_ANSWERS + extra, "a.yaml")


def broken(files: dict[str, str], path: str, old: str, new: str) -> dict[str, str]:
    assert old in files[path], old
    return {**files, path: files[path].replace(old, new, 1)}


# --- promtool -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    ["", "metrics:\n  evaluation_interval: 1m\n", "alerting:\n  rule_for: 2m\n",
     "metrics:\n  evaluation_interval: 45s\nalerting:\n  rule_for: 90s\n", "metrics:\n  evaluation_interval: 15s\n"],
    ids=["defaults", "eval-1m", "for-2m", "eval-45s-for-90s", "eval-15s"],
)
def test_self_monitoring_unit_tests_pass_for_varied_answers(promtool, extra):
    a = answers(extra)
    report = check_rules(render.render(a), a)
    assert report.findings == []


def test_unit_tests_pass_for_a_single_node_and_another_namespace(promtool):
    a = answers_file.parse(
        "cluster:\n  domain: e.com\n  node_count: 1\n  storage_class: a\nflux:\n  namespace: monitoring\n", "a.yaml")
    assert check_rules(render.render(a), a).findings == []


def test_bad_promql_is_caught_with_file_and_document(promtool):
    a = answers()
    files = broken(render.render(a), RULE, "== 1)", "=== 1)")
    (finding,) = check_rules(files, a).findings
    assert (finding.file, finding.document) == (RULE, RULES_DOC)
    assert "parse error" in finding.message


def test_a_rule_that_fires_too_late_fails_its_unit_test(promtool):
    a = answers()
    files = broken(render.render(a), RULE, "for: 1m\n", "for: 3m\n")  # the first (PrometheusDown) only
    (finding,) = check_rules(files, a).findings
    assert "self-monitoring unit tests failed" in finding.message and "PrometheusDown" in finding.message


def test_a_wrong_threshold_fails_its_unit_test(promtool):
    a = answers()
    files = broken(render.render(a), RULE, '/ kubelet_volume_stats_capacity_bytes{namespace="observability"} > 0.85',
                   '/ kubelet_volume_stats_capacity_bytes{namespace="observability"} > 0.95')
    (finding,) = check_rules(files, a).findings
    assert "ObservabilityVolumeFillingUp" in finding.message


def test_a_changed_annotation_fails_its_unit_test(promtool):
    a = answers()
    files = broken(render.render(a), RULE, "is not Ready.", "is down.")
    (finding,) = check_rules(files, a).findings
    assert "NodeNotReady" in finding.message


RULE_FAULTS = [
    # (old, new, the unit test that must catch it)
    ('kube_node_status_condition{condition="Ready", status="true"} == 0',
     '(sum(kube_node_status_condition{condition="Ready", status="true"}) or vector(0)) < 3', "NodeNotReady fires per node"),
    ('kube_node_status_condition{condition="Ready", status="true"} == 0',
     '(kube_node_status_condition{condition="Ready", status="true"} == 0) or absent(kube_node_status_condition{condition="Ready", status="true"})',
     "With kube-state-metrics merely down"),
    ('absent(up{namespace="observability", job="kube-state-metrics"} == 1)', 'up{namespace="observability", job="kube-state-metrics"} == 0',
     "With kube-state-metrics merely down"),
    ("                  and on (node)\n", "                  or on (node)\n", "ObservabilityNodeDiskFillingUp fires for the full node"),
    ('status_code!~"2.."', 'status_code=~".*"', "AlloyLogWritesFailing fires after 10 minutes"),
    ("loki_write_dropped_entries_total{namespace=\"observability\", container=\"alloy\"}[10m])) > 0",
     "loki_write_dropped_entries_total{namespace=\"observability\", container=\"alloy\"}[10m])) > 10", "AlloyDroppingLogs fires"),
    ("prometheus_tsdb_size_retentions_total", "prometheus_tsdb_time_retentions_total", "PrometheusRetentionCutBySize fires"),
    ("+ prometheus_tsdb_wal_storage_size_bytes", "- prometheus_tsdb_wal_storage_size_bytes", "PrometheusStorageOutgrowingVolume fires"),
    ("                  unless on (namespace)\n", "                  and on (namespace)\n", "LokiCompactorNotRunning fires 15 minutes"),
]


@pytest.mark.parametrize(("old", "new", "test_name"), RULE_FAULTS, ids=[f"{f[2][:30]}-{i}" for i, f in enumerate(RULE_FAULTS)])
def test_each_rule_fault_is_caught_by_its_unit_test(promtool, old, new, test_name):
    a = answers()
    files = broken(render.render(a), RULE, old, new)
    findings = check_rules(files, a).findings
    assert findings and "self-monitoring unit tests failed" in findings[0].message, findings
    assert test_name in findings[0].message


@pytest.mark.parametrize("apps", ["apps:\n  alloy: false\n", "apps:\n  alloy: false\n  loki: false\n"])
def test_unit_tests_cover_only_the_apps_switched_on(promtool, apps):
    a = answers(apps)
    files = render.render(a)
    assert check_rules(files, a).findings == []
    text = files[RULE]
    assert "AlloyDown" not in text and "AlloyDroppingLogs" not in text and "LokiNotIngesting" not in text
    assert ("LokiCompactorNotRunning" in text) == ("loki: false" not in apps)


def test_nothing_to_check_with_kube_prometheus_stack_off(promtool):
    a = answers("apps:\n  kube_prometheus_stack: false\n")
    report = check_rules(render.render(a), a)
    assert report.findings == [] and report.checks_run == ["promtool"]


# --- amtool -------------------------------------------------------------------------------


def test_generated_alertmanager_config_passes(amtool, kps_defaults):
    assert check_alertmanager(render.render(answers()), kps_defaults).findings == []


def test_effective_config_keeps_the_chart_inhibit_rules_and_our_route(kps_defaults):
    from wizard.validate.alertmanager import effective_config

    _, values = helmrelease_values(render.render(answers()), "kube-prometheus-stack")
    config = effective_config(values, kps_defaults)
    assert config["route"]["receiver"] == "slack"
    # Ours replace the chart's list (lists are not merged): the chart's own four come first, the same rules.
    def plain(rules):
        return [{k: sorted(m.replace('"', "").replace("'", "") for m in v) for k, v in r.items()} for r in rules]

    assert plain(config["inhibit_rules"][:4]) == plain(kps_defaults["alertmanager"]["config"]["inhibit_rules"])
    assert [r["name"] for r in config["receivers"]] == ["null", "slack"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("api_url_file:", "api_url_fiel:", "field api_url_fiel not found"),
        ("group_wait: 30s", "group_wait: 30 seconds", "not a valid duration"),
        ('            - receiver: "null"\n', '            - receiver: slack\n', "alertname=Watchdog severity=none is routed to slack, expected null"),
        ("          receiver: slack\n", "          receiver: pagerduty\n", 'undefined receiver "pagerduty"'),
        ("{{ .CommonLabels.alertname }}", "{{ .CommonLabels.alertname }", "the Slack title template does not parse"),
    ],
    ids=["typo", "duration", "watchdog-to-slack", "undefined-receiver", "broken-template"],
)
def test_alertmanager_faults_are_caught(amtool, kps_defaults, old, new, expected):
    files = broken(render.render(answers()), KPS, old, new)
    findings = check_alertmanager(files, kps_defaults).findings
    assert findings and any(expected in f.message for f in findings), [f.message for f in findings]
    assert all(f.file == KPS for f in findings)


# --- chart values -------------------------------------------------------------------------


def test_generated_values_all_exist_in_the_pinned_charts(charts_dir):
    assert check_chart_values(render.render(answers()), charts_dir).findings == []


@pytest.mark.parametrize(
    ("path", "old", "new", "expected_path"),
    [
        (f"{NS}/loki/app/helmrelease.yaml", "    chunksCache:\n      enabled: false",
         "    loki:\n      memcached:\n        chunk_cache:\n          enabled: false", "spec.values.loki.memcached"),
        (f"{NS}/loki/app/helmrelease.yaml", "    lokiCanary:", "    lokiCannary:", "spec.values.lokiCannary"),
        (KPS, "    kubeProxy:", "    kubeProxxy:", "spec.values.kubeProxxy"),
        (KPS, "        existingSecret:", "        existingSecrett:", "spec.values.grafana.admin.existingSecrett"),
        (f"{NS}/alloy/app/helmrelease.yaml", "      type: daemonset", "      kind: daemonset", "spec.values.controller.kind"),
    ],
    ids=["loki-cache-wrong-key", "loki-typo", "kps-typo", "grafana-subchart-typo", "alloy-typo"],
)
def test_a_value_the_chart_does_not_read_is_caught(charts_dir, path, old, new, expected_path):
    files = broken(render.render(answers()), path, old, new)
    findings = check_chart_values(files, charts_dir).findings
    assert [f.path for f in findings if f.level == "error"][:1] == [expected_path]
    assert "misspelled, or moved in this version" in findings[0].message


def test_loki_values_schema_types_are_enforced(charts_dir):
    files = broken(render.render(answers()), f"{NS}/loki/app/helmrelease.yaml", "      replicas: 1", "      replicas: one")
    (finding,) = check_chart_values(files, charts_dir).findings
    assert finding.path == "spec.values.singleBinary.replicas" and "values.schema.json" in finding.message


def test_free_form_exceptions_are_deliberate(charts_dir):
    """Each exemption has a reason and is needed: without it, the render's values would be flagged."""
    import yaml

    from wizard.validate.chart_values import unknown_paths

    files = render.render(answers())
    versions = {"kube-prometheus-stack": "88.5.3", "loki": "18.11.0", "alloy": "1.11.1"}
    grafana = yaml.safe_load((charts_dir / "grafana-12.11.1/values.yaml").read_text())
    for chart, exemptions in FREE_FORM.items():
        _, values = helmrelease_values(files, chart)
        defaults = yaml.safe_load((charts_dir / f"{chart}-{versions[chart]}/values.yaml").read_text())
        subcharts = {"grafana": grafana} if chart == "kube-prometheus-stack" else {}
        assert unknown_paths(values, defaults, subcharts, exemptions) == []
        for dotted, reason in exemptions.items():
            assert len(reason) > 10
            others = {k: v for k, v in exemptions.items() if k != dotted}
            flagged = unknown_paths(values, defaults, subcharts, others)
            assert any(p == dotted or p.startswith(dotted + ".") for p in flagged), f"{chart}: exemption {dotted} is not needed"


def test_unknown_chart_version_is_reported_not_guessed(charts_dir, monkeypatch):
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    files = render.render(answers("charts:\n  loki: 99.0.0\n"))
    findings = check_chart_values(files, charts_dir).findings
    assert [(f.level, f.document) for f in findings] == [("skipped", "HelmRelease/loki")]
    assert "no defaults for chart loki 99.0.0" in findings[0].message


# --- Alloy ------------------------------------------------------------------------------------


def test_generated_alloy_config_parses_and_references_resolve():
    _, values = helmrelease_values(render.render(answers()), "alloy")
    assert problems(values["alloy"]["configMap"]["content"]) == []


ALLOY_FAULTS = [
    ("loki.write.default.receiver", "loki.write.defualt.receiver", "reference to undeclared component: loki.write.defualt.receiver"),
    ('loki.write "default" {', 'loki.write "default"', "expected '{' to open block loki.write, found a new line"),
    ('level  = "info"', 'level  = "info', "unterminated string"),
    ('["__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_name"]',
     '["__meta_kubernetes_namespace" "__meta_kubernetes_pod_container_name"]', "expected ',' or ']'"),
    ('format = "logfmt"', 'format = "logfmt"\n  format = "json"', "attribute 'format' is set twice"),
    ("discovery.kubernetes.pods.targets", "discovery.kubernetes.pod.targets", "undeclared component: discovery.kubernetes.pod.targets"),
    ("  role = \"pod\"\n\n  selectors", "  role \"pod\"\n\n  selectors", "expected '{' to open block role"),
]


@pytest.mark.parametrize(("old", "new", "expected"), ALLOY_FAULTS, ids=[f[2][:30] for f in ALLOY_FAULTS])
def test_alloy_faults_are_caught_with_a_line(old, new, expected):
    _, values = helmrelease_values(render.render(answers()), "alloy")
    config = values["alloy"]["configMap"]["content"]
    assert old in config
    found = problems(config.replace(old, new, 1))
    assert found and expected in found[0][1]
    assert found[0][0] >= 1


def test_alloy_duplicate_component_and_unclosed_block():
    assert problems('loki.write "a" {\n}\nloki.write "a" {\n}\n') == [(3, 'component loki.write "a" is declared twice (first on line 1)')]
    assert problems("logging {\n") == [(2, "expected a block or an attribute, found end of file")]
    assert problems("/* open comment\nx {}\n")[0][1] == "unterminated comment"


def test_alloy_expressions_parse():
    text = (
        'x "y" {\n  a = [1, 2,]\n  b = {k = "v", "q" = 1 + 2 * -3}\n  c = !true && (1 >= 2) || null == null\n'
        "  d = `raw`\n  e = x.y.z[0]\n  f = sys.env(\"HOME\")\n  // a comment\n  g = 1.5e3 /* inline */\n}\n"
    )
    assert problems(text) == []


# --- Flux substitution ----------------------------------------------------------------------


def test_only_known_flux_variables_pass():
    files = broken(render.render(answers()), KPS, 'root_url: "https://grafana.example.com"', 'root_url: "https://${GRAFANA_HOST}"')
    (finding,) = check_flux_variables(files, ()).findings
    assert finding.file == KPS and "${GRAFANA_HOST} would be replaced by Flux" in finding.message
    escaped = broken(render.render(answers()), KPS, 'root_url: "https://grafana.example.com"', 'root_url: "https://$${GRAFANA_HOST}"')
    assert check_flux_variables(escaped, ()).findings == []


def test_substitution_disabled_documents_are_left_alone_and_lines_are_exact():
    text = (
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n"
        "    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  dash: ${DS_PROMETHEUS}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  dash: ${DS_LOKI}\n"
    )
    (finding,) = check_flux_variables({"x.yaml": text}, ()).findings
    assert finding.message.startswith("line 16: ${DS_LOKI} would be replaced")
    assert text.splitlines()[15] == "  dash: ${DS_LOKI}"


# --- missing tools ------------------------------------------------------------------------------


def test_missing_promtool_and_amtool_name_their_packages_and_the_rest_still_runs(monkeypatch, crd_dir, charts_dir):
    from wizard.validate import validate_files

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    a = answers()
    report = validate_files(render.render(a), repo=None, crd_dir=crd_dir, charts_dir=charts_dir, answers=a)
    skipped = {f.check: f for f in report.findings if f.level == "skipped"}
    assert "the Debian package `prometheus`" in skipped["promtool"].message
    assert skipped["promtool"].remedy == "apt-get install prometheus"
    assert "the Debian package `prometheus-alertmanager`" in skipped["amtool"].message
    assert skipped["amtool"].remedy == "apt-get install prometheus-alertmanager"
    assert "kubectl not found" in skipped["kustomize"].message
    assert report.ok  # crd-schema, chart-values, alloy and flux checks ran and passed
    assert {"crd-schema", "chart-values", "alloy", "flux-substitution"} <= set(report.checks_run)
    monkeypatch.setenv("OBS_WIZARD_STRICT_TOOLS", "1")
    strict = validate_files(render.render(a), repo=None, crd_dir=crd_dir, charts_dir=charts_dir, answers=a)
    assert {f.check for f in strict.errors} == {"promtool", "amtool", "kustomize"}


# --- the heartbeat's url_file: amtool 0.25 does not know it, so it is checked in two halves ---------------

HEARTBEAT = "secrets:\n  heartbeat_item: alertmanager\n"


def test_heartbeat_config_passes_and_routes_watchdog_to_the_heartbeat(amtool, kps_defaults):
    files = render.render(answers(HEARTBEAT))
    report = check_alertmanager(files, kps_defaults)
    assert report.findings == [] and [o.status for o in report.outcomes()] == ["passed"]
    assert "predates webhook url_file: checked as an https url" in report.sources["amtool"]  # said, not silent
    assert "amtool" not in check_alertmanager(render.render(answers()), kps_defaults).sources
    _, values = helmrelease_values(files, "kube-prometheus-stack")
    config = effective_config(values, kps_defaults)
    # The real amtool refuses the config as the cluster runs it (webhook url_file is Alertmanager >= 0.26) ...
    with tempfile.TemporaryDirectory() as tmp:
        real, copy = Path(tmp) / "real.yaml", Path(tmp) / "copy.yaml"
        real.write_text(yamlio.dump(config))
        copy.write_text(yamlio.dump(amtool_copy(config)))
        refused = subprocess.run([amtool, "check-config", str(real)], capture_output=True, text=True)
        assert refused.returncode == 1 and "url_file not found" in refused.stdout + refused.stderr
        # ... so it checks a copy that differs in exactly that one key, and routes with it.
        stand_in = amtool_copy(config)
        (hb,) = [r for r in stand_in["receivers"] if r["name"] == "heartbeat"]
        assert hb["webhook_configs"] == [{"url": URL_FILE_STAND_IN, "send_resolved": False}]
        assert {k: v for k, v in stand_in.items() if k != "receivers"} == {k: v for k, v in config.items() if k != "receivers"}
        for receiver, labels in (("heartbeat", ["alertname=Watchdog", "severity=none"]),
                                 ("slack", ["alertname=LokiDown", "severity=critical", "namespace=observability"]),
                                 ("slack", ["alertname=TargetDown", "severity=warning", "namespace=default"]),
                                 ("null", ["alertname=InfoInhibitor", "severity=none"])):
            routed = subprocess.run([amtool, "config", "routes", "test", f"--config.file={copy}", f"--verify.receivers={receiver}",
                                     *labels], capture_output=True, text=True)
            assert routed.returncode == 0 and routed.stdout.strip() == receiver, (labels, routed.stdout)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("secrets/alertmanager-heartbeat/heartbeat-url", "secrets/alertmanager-hb/heartbeat-url",
         "url_file reads Secret 'alertmanager-hb', which alertmanagerSpec.secrets does not mount"),
        ("secrets/alertmanager-heartbeat/heartbeat-url", "secrets/alertmanager-heartbeat/heartbeat_url",
         "url_file reads key 'heartbeat_url' of Secret 'alertmanager-heartbeat', but its ExternalSecret creates only heartbeat-url"),
        ("url_file: /etc/alertmanager/secrets/", "url_file: /etc/secrets/", "is not a file of a mounted Secret"),
        ("          - alertmanager-heartbeat\n", "", "which alertmanagerSpec.secrets does not mount"),
        ("                - alertname = \"Watchdog\"\n", "                - alertname = \"Watchdogs\"\n",
         "alertname=Watchdog severity=none is routed to slack, expected heartbeat"),
        ("url_file:", "url_fiel:", "field url_fiel not found"),
    ],
    ids=["unmounted-secret", "wrong-key", "outside-the-mount", "mount-dropped", "watchdog-to-slack", "typo"],
)
def test_heartbeat_wiring_faults_are_caught(amtool, kps_defaults, old, new, expected):
    files = broken(render.render(answers(HEARTBEAT)), KPS, old, new)
    findings = check_alertmanager(files, kps_defaults).findings
    assert any(expected in f.message for f in findings), [f.message for f in findings]
    assert all(f.file == KPS for f in findings)


GATUS = HEARTBEAT + "  heartbeat_token_field: HEARTBEAT_TOKEN\n"


def test_a_gatus_heartbeat_sends_its_token_from_the_mounted_secret(amtool, kps_defaults):
    """The bearer token is a file of the mounted heartbeat Secret, a key its ExternalSecret creates from the token field."""
    files = render.render(answers(GATUS))
    report = check_alertmanager(files, kps_defaults)
    assert report.findings == [] and [o.status for o in report.outcomes()] == ["passed"]
    _, values = helmrelease_values(files, "kube-prometheus-stack")
    (hb,) = [r for r in effective_config(values, kps_defaults)["receivers"] if r["name"] == "heartbeat"]
    assert hb["webhook_configs"][0]["http_config"] == {"authorization": {
        "type": "Bearer", "credentials_file": "/etc/alertmanager/secrets/alertmanager-heartbeat/heartbeat-token"}}
    secret = files[f"{NS}/kube-prometheus-stack/app/externalsecret.yaml"]
    assert "heartbeat-token: '{{ index . \"HEARTBEAT_TOKEN\" }}'" in secret
    assert "heartbeat-token" not in "".join(render.render(answers(HEARTBEAT)).values())  # only when asked for


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("        heartbeat-token: ", "        heartbeat-tok: ",
         "credentials_file reads key 'heartbeat-token' of Secret 'alertmanager-heartbeat', but its ExternalSecret creates only"),
        ("credentials_file: /etc/alertmanager/secrets/", "credentials_file: /var/run/", "is not a file of a mounted Secret"),
    ],
    ids=["token-key-not-created", "token-outside-the-mount"],
)
def test_gatus_token_wiring_faults_are_caught(amtool, kps_defaults, old, new, expected):
    files = render.render(answers(GATUS))
    path = KPS if "credentials_file" in old else f"{NS}/kube-prometheus-stack/app/externalsecret.yaml"
    files = broken(files, path, old, new)
    findings = check_alertmanager(files, kps_defaults).findings
    assert any(expected in f.message for f in findings), [f.message for f in findings]


def test_every_self_monitoring_alert_has_a_unit_test_that_fires_it_and_one_that_holds_it_back():
    """Each rendered alert is expected to fire at some eval_time and to be quiet at another (not before its time)."""
    import yaml

    from wizard.render.extract import prometheus_rules
    from wizard.validate.rules import timings

    a = answers()
    files = render.render(a)
    names = {rule["alert"] for _, _, _, spec in prometheus_rules(files) for group in spec["groups"] for rule in group["rules"]
             if "alert" in rule}
    unit = yaml.safe_load(render.render_check("checks/self-monitoring.test.yaml.j2", a, rules_file="rules.yaml",
                                              t=timings(a)))
    fires, quiet = set(), set()
    for test in unit["tests"]:
        for case in test["alert_rule_test"]:
            (fires if case["exp_alerts"] else quiet).add(case["alertname"])
    assert names and names <= fires and names <= quiet, (names - fires, names - quiet)
    assert "ObservabilityNodeDiskFillingUp" in {c["alertname"] for t in unit["tests"] if "kube-state-metrics merely down" in t["name"]
                                                for c in t["alert_rule_test"]}


def test_a_unit_test_pass_is_remembered_for_the_same_rules_tests_and_promtool(promtool, tmp_path, monkeypatch):
    """`promtool test rules` (about a second) runs again only when the rules, the tests or promtool change;
    a failure is never remembered."""
    log = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "promtool"
    wrapper.write_text(f'#!/bin/sh\necho "$1 $2" >> {log}\nexec {promtool} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def unit_test_runs(files, ans) -> int:
        before = log.read_text().count("test rules") if log.exists() else 0
        report = check_rules(files, ans)
        return (log.read_text().count("test rules") - before, report)

    ans = answers()
    files = render.render(ans)
    runs, report = unit_test_runs(files, ans)
    assert runs == 1 and not report.errors
    runs, report = unit_test_runs(files, ans)
    assert runs == 0 and not report.errors  # the same inputs passed before
    assert report.sources["promtool"].startswith("self-monitoring unit tests not run again")  # and the report says so
    assert log.read_text().count("check rules") == 2  # the quick syntax check still runs every time

    late = answers("alerting:\n  rule_for: 2m\n")  # other rules and tests: tested again
    runs, report = unit_test_runs(render.render(late), late)
    assert runs == 1 and not report.errors

    wrapper.write_text(wrapper.read_text() + "\n")  # another promtool binary: tested again
    runs, report = unit_test_runs(files, ans)
    assert runs == 1

    bad = broken(files, RULE, "for: 1m\n", "for: 3m\n")  # PrometheusDown fires too late
    for _ in range(2):  # a failing unit test is run (and fails) every time
        runs, report = unit_test_runs(bad, ans)
        assert runs == 1 and any("unit tests failed" in f.message for f in report.errors)
