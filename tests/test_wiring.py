"""The charts rendered with the Helm SDK, and one test per wire: break exactly that wire (an answer,
a value or a template) and the check names both ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED, need
from wizard.answers.model import Answers
from wizard.render import charts, render
from wizard.validate import check_rendered, helm_render, validate_files
from wizard.validate.findings import Report

BASE = "kubernetes/apps/observability"
KPS = f"{BASE}/kube-prometheus-stack/app"


@pytest.fixture
def files(example_answers) -> dict[str, str]:
    return render.render(example_answers)


def wired(files: dict[str, str], answers: Answers, charts_src: Path) -> Report:
    return check_rendered(files, answers, charts_src)


def broken(files: dict[str, str], path: str, old: str, new: str) -> dict[str, str]:
    assert old in files[path], f"{old!r} not in {path}: the template changed; update this test"
    return {**files, path: files[path].replace(old, new)}


def only_error(report: Report, check: str) -> str:
    errors = [f for f in report.errors if f.check == check]
    assert len(errors) == 1, [f.line() for f in report.findings]
    assert [f for f in report.errors if f.check != check] == [], [f.line() for f in report.errors]
    return errors[0].line()


def test_the_render_is_wired_correctly(files, example_answers, charts_src):
    report = wired(files, example_answers, charts_src)
    assert report.findings == [], [f.line() for f in report.findings]
    rendered, _ = helm_render.render_all(files, charts_src)
    counts = {r.release.name: len(r.objects) for r in rendered}
    # loki: 11 + its ServiceMonitor, rules and alerts PrometheusRules and 10 single-binary dashboards
    assert counts["loki"] == 23 and counts["alloy"] == 7 and counts["kube-prometheus-stack"] > 60, counts


def test_releases_render_as_helm_controller_names_them(files):
    found, _ = helm_render.releases(files)
    assert {(r.name, r.release_name, r.namespace, r.chart, r.version) for r in found} == {
        ("kube-prometheus-stack", "kube-prometheus-stack", "observability", "kube-prometheus-stack", "88.5.3"),
        ("loki", "loki", "observability", "loki", "18.11.0"),
        ("alloy", "alloy", "observability", "alloy", "1.11.1"),
    }


def test_target_namespace_changes_release_name_and_namespace(files):
    hr = f"{BASE}/loki/app/helmrelease.yaml"
    (release,) = [r for r in helm_render.releases(broken(files, hr, "  interval: 1h\n", "  interval: 1h\n  targetNamespace: logs\n"))[0]
                  if r.name == "loki"]
    assert (release.release_name, release.namespace) == ("logs-loki", "logs")


def test_httproute_backend_port(files, example_answers, charts_src):
    line = only_error(wired(broken(files, f"{KPS}/httproute.yaml", "port: 80", "port: 81"), example_answers, charts_src),
                      "wiring-httproute")
    assert "HTTPRoute/grafana" in line and "Service/kube-prometheus-stack-grafana" in line and "no port 81" in line


def test_httproute_backend_service(files, example_answers, charts_src):
    line = only_error(wired(broken(files, f"{KPS}/httproute.yaml", "- name: kube-prometheus-stack-grafana",
                                   "- name: kube-prometheus-stack-grafna"), example_answers, charts_src), "wiring-httproute")
    assert "HTTPRoute/grafana" in line and "no Service kube-prometheus-stack-grafna" in line
    assert "kube-prometheus-stack-grafana" in line  # the Services that do exist are listed


def test_grafana_loki_datasource(files, example_answers, charts_src):
    hr = f"{KPS}/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "url: http://loki.observability.svc.cluster.local:3100",
                                   "url: http://loki.observability.svc.cluster.local:9095"), example_answers, charts_src),
                      "wiring-loki-url")
    assert "Grafana datasource 'Loki'" in line and "ConfigMap/kube-prometheus-stack-grafana-datasource" in line
    assert "Service/loki (HelmRelease/loki) port 9095 is grpc" in line


def test_alloy_loki_write_endpoint(files, example_answers, charts_src):
    hr = f"{BASE}/alloy/app/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, 'url = "http://loki.observability.svc.cluster.local:3100',
                                   'url = "http://loki.observability.svc.cluster.local:3101'), example_answers, charts_src),
                      "wiring-loki-url")
    assert "Alloy loki.write 'default'" in line and "ConfigMap/alloy (HelmRelease/alloy)" in line
    assert "Service/loki (HelmRelease/loki) has no port 3101" in line


def test_alertmanager_file_secret_not_mounted(files, example_answers, charts_src):
    hr = f"{KPS}/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "        secrets:\n          - alertmanager-slack\n",
                                   "        secrets:\n          - alertmanager-other\n"), example_answers, charts_src),
                      "wiring-alertmanager-files")
    assert "api_url_file: /etc/alertmanager/secrets/alertmanager-slack/slack-webhook-url" in line
    assert "Alertmanager/kube-prometheus-stack" in line and "does not list alertmanager-slack" in line


def test_alertmanager_file_key_not_in_externalsecret(files, example_answers, charts_src):
    es = f"{KPS}/externalsecret.yaml"
    line = only_error(wired(broken(files, es, "        slack-webhook-url: ", "        slack-url: "), example_answers, charts_src),
                      "wiring-alertmanager-files")
    assert "api_url_file" in line and "ExternalSecret/alertmanager-slack" in line and "not slack-webhook-url" in line


def wire_errors(report: Report, check: str) -> list[str]:
    """Every error, all from ``check`` (the real grafana chart reads the admin Secret in its sidecars too)."""
    lines = [f.line() for f in report.errors]
    assert lines and all(f"[{check}]" in line for line in lines), [f.line() for f in report.findings]
    return lines


def test_grafana_admin_secret_keys(files, example_answers, charts_src):
    hr = f"{KPS}/helmrelease.yaml"
    lines = wire_errors(wired(broken(files, hr, "passwordKey: admin-password", "passwordKey: admin-pass"), example_answers, charts_src),
                        "wiring-secret-refs")
    assert any("container grafana env GF_SECURITY_ADMIN_PASSWORD" in line for line in lines)
    assert all("Deployment/kube-prometheus-stack-grafana" in line and "ExternalSecret/grafana-admin" in line
               and "not admin-pass" in line for line in lines)


def test_grafana_admin_existing_secret(files, example_answers, charts_src):
    hr = f"{KPS}/helmrelease.yaml"
    lines = wire_errors(wired(broken(files, hr, "existingSecret: grafana-admin", "existingSecret: grafana-admn"), example_answers,
                              charts_src), "wiring-secret-refs")
    assert {"GF_SECURITY_ADMIN_USER", "GF_SECURITY_ADMIN_PASSWORD"} <= {line.split(" env ")[1].split()[0] for line in lines}
    assert all("Deployment/kube-prometheus-stack-grafana" in line and "no Secret or ExternalSecret target grafana-admn" in line
               for line in lines)


def test_storage_class_from_the_answers(files, example_answers, charts_src):
    hr = f"{BASE}/loki/app/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "storageClass: local-path", "storageClass: fast"), example_answers, charts_src),
                      "wiring-storage")
    assert "StatefulSet/loki (HelmRelease/loki)" in line and "storageClassName is fast" in line and "local-path" in line


def test_storage_size_from_the_answers(files, example_answers, charts_src):
    changed = example_answers.model_copy(update={"metrics": example_answers.metrics.model_copy(update={"pvc_size": "40Gi"})})
    line = only_error(wired(files, changed, charts_src), "wiring-storage")
    assert "Prometheus/kube-prometheus-stack" in line and "requests 30Gi" in line and "40Gi (metrics.pvc_size)" in line


def test_alertmanager_storage_class(files, example_answers, charts_src):
    changed = example_answers.model_copy(update={"cluster": example_answers.cluster.model_copy(update={"storage_class": "ceph"})})
    report = wired(files, changed, charts_src)
    objects = sorted(line.split(" (HelmRelease")[0].split("] ")[-1] for line in (f.line() for f in report.errors))
    assert objects == ["Alertmanager/kube-prometheus-stack", "PersistentVolumeClaim/kube-prometheus-stack-grafana",
                       "Prometheus/kube-prometheus-stack", "StatefulSet/loki"], objects


def test_grafana_volume_size(files, example_answers, charts_src):
    hr = f"{KPS}/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "        size: 2Gi\n", "        size: 3Gi\n"), example_answers, charts_src),
                      "wiring-storage")
    assert "PersistentVolumeClaim/kube-prometheus-stack-grafana" in line and "requests 3Gi" in line and "2Gi" in line


def test_servicemonitor_selects_a_service(files, example_answers, charts_src):
    hr = f"{KPS}/helmrelease.yaml"
    report = wired(broken(files, hr, "    kubeEtcd:\n      service:\n", "    kubeEtcd:\n      service:\n        enabled: false\n"),
                   example_answers, charts_src)
    line = only_error(report, "wiring-monitors")
    assert "ServiceMonitor/kube-prometheus-stack-kube-etcd (HelmRelease/kube-prometheus-stack)" in line
    assert "'app': 'kube-prometheus-stack-kube-etcd'" in line and "['kube-system']" in line and "no Service in the render matches" in line


MONITOR = """---
apiVersion: monitoring.coreos.com/v1
kind: {kind}
metadata:
  name: extra
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: loki
  {endpoints}:
    - port: {port}
"""


@pytest.mark.parametrize("kind,endpoints,port,expected", [
    ("ServiceMonitor", "endpoints", "http-metrics", None),
    ("ServiceMonitor", "endpoints", "metrics", "have no port named metrics"),
    ("PodMonitor", "podMetricsEndpoints", "http-metrics", None),
    ("PodMonitor", "podMetricsEndpoints", "metrics", "have no container port named metrics"),
])
def test_monitor_port_names(files, example_answers, charts_src, kind, endpoints, port, expected):
    path = f"{KPS}/prometheusrule.yaml" if f"{KPS}/prometheusrule.yaml" in files else f"{KPS}/externalsecret.yaml"
    extra = {**files, path: files[path] + MONITOR.format(kind=kind, endpoints=endpoints, port=port)}
    report = wired(extra, example_answers, charts_src)
    if expected is None:
        assert report.errors == [], [f.line() for f in report.errors]
    else:
        line = only_error(report, "wiring-monitors")
        assert f"{kind}/extra" in line and expected in line and "loki (HelmRelease/loki)" in line


def test_rules_are_selected_by_the_prometheus(files, example_answers, charts_src):
    hr = f"{KPS}/helmrelease.yaml"
    report = wired(broken(files, hr, "        ruleSelectorNilUsesHelmValues: false\n",
                          "        ruleSelectorNilUsesHelmValues: false\n        ruleSelector:\n          matchLabels:\n"
                          "            team: nobody\n"), example_answers, charts_src)
    errors = [f.line() for f in report.errors]
    assert errors and all("wiring-rule-selector" in line and "PrometheusRule/" in line for line in errors)
    assert all("Prometheus/kube-prometheus-stack" in line and "does not select it" in line for line in errors)


def test_alloy_node_name_env(files, example_answers, charts_src):
    hr = f"{BASE}/alloy/app/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "- name: NODE_NAME", "- name: NODENAME"), example_answers, charts_src), "wiring-alloy-env")
    assert 'ConfigMap/alloy (HelmRelease/alloy) config.alloy reads sys.env("NODE_NAME")' in line
    assert "DaemonSet/alloy (HelmRelease/alloy) container alloy has no env NODE_NAME" in line


def test_alloy_node_name_env_is_the_node_name(files, example_answers, charts_src):
    hr = f"{BASE}/alloy/app/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "fieldPath: spec.nodeName", "fieldPath: metadata.name"), example_answers, charts_src),
                      "wiring-alloy-env")
    assert "DaemonSet/alloy" in line and "env NODE_NAME is not the node name" in line


def test_a_chart_render_error_names_the_release(files, example_answers, charts_src):
    hr = f"{BASE}/loki/app/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "    singleBinary:\n      replicas: 1\n", "    singleBinary:\n      replicas: 2\n"),
                            example_answers, charts_src), "chart-render")
    assert "HelmRelease/loki" in line and "loki 18.11.0 refused to render" in line and "object storage" in line


def test_a_schema_refusal_names_the_value(files, example_answers, charts_src):
    hr = f"{BASE}/loki/app/helmrelease.yaml"
    line = only_error(wired(broken(files, hr, "    singleBinary:\n      replicas: 1\n", '    singleBinary:\n      replicas: "1"\n'),
                            example_answers, charts_src), "chart-render")
    assert "HelmRelease/loki" in line and "/singleBinary/replicas" in line


def test_renders_are_cached(files, example_answers, charts_src, monkeypatch):
    wired(files, example_answers, charts_src)

    def no_sdk(*_args):
        raise AssertionError("rendered again although nothing changed")

    monkeypatch.setattr(helm_render, "_render_with_sdk", no_sdk)
    assert wired(files, example_answers, charts_src).findings == []


def test_without_the_sdk_the_render_is_skipped_with_the_install_command(files, example_answers, monkeypatch):
    monkeypatch.setattr(helm_render, "sdk_available", lambda: False)
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    report = check_rendered(files, example_answers, None)
    (finding,) = report.findings
    assert finding.level == "skipped" and finding.remedy == "pip install 'obs-wizard[helm]'" and "not installed" in finding.message
    monkeypatch.setenv("OBS_WIZARD_STRICT_TOOLS", "1")
    assert check_rendered(files, example_answers, None).errors


def test_a_chart_not_at_hand_is_skipped_naming_it(files, example_answers, tmp_path, monkeypatch):
    need(helm_render.sdk_available(), "the Helm SDK is not installed (pip install -e '.[test,helm]')")
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    monkeypatch.delenv("OBS_WIZARD_CHARTS_SRC", raising=False)
    report = check_rendered(files, example_answers, tmp_path)
    assert [f.level for f in report.findings] == ["skipped"] * 3
    assert "chart loki 18.11.0 is not in --charts-src" in report.findings[1].message
    assert report.findings[1].remedy == (f"run `obs-wizard fetch-charts --repo DIR` where ghcr.io is reachable (it fills "
                                         f"{charts.cache_dir()}), or pass --charts-src DIR with loki-18.11.0/ unpacked "
                                         "(helm pull oci://ghcr.io/grafana-community/helm-charts/loki --version 18.11.0 --untar)")


def test_offline_pull_is_one_clear_line(monkeypatch, tmp_path):
    need(helm_render.sdk_available(), "the Helm SDK is not installed (pip install -e '.[test,helm]')")
    monkeypatch.delenv("OBS_WIZARD_NO_PULL")
    monkeypatch.delenv("OBS_WIZARD_CHARTS_SRC", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    charts.new_run()
    ref = charts.OciRef("oci://127.0.0.1:9/charts/alloy", "1.11.1", insecure=True)  # nothing listens on port 9
    with pytest.raises(charts.ChartUnavailable) as caught:
        charts.find(ref)
    message = str(caught.value)
    assert not isinstance(caught.value, charts.ChartRefused)  # unreachable is a skip, not a refusal
    assert "\n" not in message and "connection refused" in message
    assert message.startswith("chart alloy 1.11.1 is not at hand and could not be pulled from oci://127.0.0.1:9/charts/alloy:1.11.1 (")
    cached = tmp_path / "cache/obs-wizard/charts"
    assert not cached.exists() or not list(cached.iterdir())  # nothing cached, no staging left
    with pytest.raises(charts.ChartUnavailable, match="127.0.0.1:9 could not be reached .*not retried this run"):
        charts.find(charts.OciRef("oci://127.0.0.1:9/charts/loki", "18.11.0", insecure=True))


def test_the_shared_chart_source_reports_its_absent_subcharts(files, example_answers):
    shared = SHARED / "charts-src"
    need(shared.is_dir() and helm_render.sdk_available(), f"{shared} or the Helm SDK is absent")
    missing = [s.name for s in charts.missing_subcharts(shared / "kube-prometheus-stack-88.5.3") if s.name != "crds"]
    report = check_rendered(files, example_answers, shared)
    assert report.errors == [], [f.line() for f in report.errors]
    notes = [f for f in report.findings if f.check == "chart-render"]
    if missing:  # an unbuilt chart: said, and never counted as checked
        assert len(notes) == 1 and notes[0].level == "skipped" and all(name in notes[0].message for name in missing)
    else:
        assert notes == []


def test_chart_source_api(tmp_path, monkeypatch):
    shared = SHARED / "charts-src"
    need(shared.is_dir(), f"{shared} is absent")
    kps = charts.locate("kube-prometheus-stack", "88.5.3", shared)
    assert kps == shared / "kube-prometheus-stack-88.5.3"
    assert charts.locate("kube-prometheus-stack", "1.0.0", shared) is None
    assert {p.name for p in charts.crd_files(kps)} >= {"crd-prometheuses.yaml", "crd-alertmanagers.yaml", "crd-prometheusrules.yaml"}
    assert charts.values_file(kps).is_file()
    assert charts.locate("loki", "18.11.0", tmp_path) is None  # an explicit --charts-src wins over the environment
    monkeypatch.setenv("OBS_WIZARD_CHARTS_SRC", str(shared))
    assert charts.locate("loki", "18.11.0") == shared / "loki-18.11.0"  # $OBS_WIZARD_CHARTS_SRC


def test_validate_runs_the_render_and_wiring_checks(files, example_answers, charts_src, crd_dir):
    report = validate_files(files, repo=None, crd_dir=crd_dir, answers=example_answers, charts_src=charts_src)
    assert {"chart-render", "wiring-httproute", "wiring-storage"} <= set(report.checks_run)
    assert not [f for f in report.findings if f.check.startswith(("chart-render", "wiring"))]


def test_offline_one_failed_pull_stops_the_others(files, example_answers, tmp_path, monkeypatch):
    need(helm_render.sdk_available(), "the Helm SDK is not installed (pip install -e '.[test,helm]')")
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    monkeypatch.delenv("OBS_WIZARD_NO_PULL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    charts.new_run()
    # Every chart on one registry that refuses connections (nothing listens on 127.0.0.1:9).
    closed = {path: text.replace("oci://ghcr.io/", "oci://127.0.0.1:9/") for path, text in files.items()}
    report = check_rendered(closed, example_answers, tmp_path / "empty")
    assert [f.level for f in report.findings] == ["skipped"] * 3
    assert "connection refused" in report.findings[0].message and "not retried this run" not in report.findings[0].message
    assert all("127.0.0.1:9 could not be reached" in f.message and "not retried this run" in f.message for f in report.findings[1:])