"""Rendering: the golden tree, the platform rules the manifests must follow, and purity."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE_ANSWERS, MINIMAL_ANSWERS, ROOT
from wizard.answers import answers_file
from wizard.answers.model import FLUX_ALERT_EXCLUSIONS
from wizard.render import render

NS = "kubernetes/apps/observability"


def docs(files: dict[str, str], path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(files[path]) if d]


def values(files: dict[str, str], app: str) -> dict:
    (release,) = docs(files, f"{NS}/{app}/app/helmrelease.yaml")
    return release["spec"]["values"]


@pytest.fixture
def files(example_answers) -> dict[str, str]:
    return render.render(example_answers)


def test_golden_tree_is_the_render_of_the_example_answers_byte_for_byte(files):
    on_disk = {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "kubernetes").rglob("*"))
        if p.is_file()
    }
    assert sorted(on_disk) == sorted(files), "run `python -m tests.update_golden` to regenerate kubernetes/"
    for path, text in files.items():
        assert on_disk[path] == text, f"{path} is out of date; run `python -m tests.update_golden`"


def test_layout(files):
    apps = ("kube-prometheus-stack", "loki", "alloy")
    expected = {f"{NS}/kustomization.yaml", f"{NS}/namespace.yaml"}
    for app in apps:
        expected |= {f"{NS}/{app}/ks.yaml", *(f"{NS}/{app}/app/{f}" for f in ("kustomization.yaml", "ocirepository.yaml", "helmrelease.yaml"))}
    expected |= {f"{NS}/kube-prometheus-stack/app/{f}" for f in ("externalsecret.yaml", "flux-alerts.yaml", "httproute.yaml")}
    assert set(files) == expected
    (namespace_kustomization,) = docs(files, f"{NS}/kustomization.yaml")
    assert namespace_kustomization["namespace"] == "observability"
    assert namespace_kustomization["resources"] == ["./namespace.yaml", *(f"./{a}/ks.yaml" for a in apps)]
    for app in apps:
        (app_kustomization,) = docs(files, f"{NS}/{app}/app/kustomization.yaml")
        listed = {r.removeprefix("./") for r in app_kustomization["resources"]}
        assert listed == {Path(p).name for p in files if p.startswith(f"{NS}/{app}/app/") and not p.endswith("/kustomization.yaml")}


def test_api_versions_are_the_ones_current_flux_and_eso_serve(files):
    seen = {}
    for path in files:
        for doc in docs(files, path):
            seen.setdefault(doc["kind"], set()).add(doc["apiVersion"])
    assert seen["Kustomization"] == {"kustomize.toolkit.fluxcd.io/v1", "kustomize.config.k8s.io/v1beta1"}
    assert seen["OCIRepository"] == {"source.toolkit.fluxcd.io/v1"}
    assert seen["HelmRelease"] == {"helm.toolkit.fluxcd.io/v2"}
    assert seen["ExternalSecret"] == {"external-secrets.io/v1"}
    assert seen["HTTPRoute"] == {"gateway.networking.k8s.io/v1"}
    assert seen["Provider"] == seen["Alert"] == {"notification.toolkit.fluxcd.io/v1beta3"}
    assert "PrometheusRule" not in seen  # the rules ride in the chart values (no CRD race)


def test_chart_sources_and_pinned_versions(files):
    expected = {
        "kube-prometheus-stack": ("oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack", "88.5.3"),
        "loki": ("oci://ghcr.io/grafana-community/helm-charts/loki", "18.11.0"),
        "alloy": ("oci://ghcr.io/home-operations/charts-mirror/alloy", "1.11.1"),
    }
    for app, (url, tag) in expected.items():
        (repo,) = docs(files, f"{NS}/{app}/app/ocirepository.yaml")
        assert repo["spec"]["url"] == url
        assert repo["spec"]["ref"] == {"tag": tag}
        assert repo["spec"]["layerSelector"] == {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"}
        (release,) = docs(files, f"{NS}/{app}/app/helmrelease.yaml")
        assert release["spec"]["chartRef"] == {"kind": "OCIRepository", "name": app}
        ships_crds = app != "loki"  # kube-prometheus-stack: the operator's CRDs; alloy: PodLogs; loki's chart has none
        assert release["spec"]["install"].get("crds") == ("CreateReplace" if ships_crds else None)
        assert release["spec"]["upgrade"].get("crds") == ("CreateReplace" if ships_crds else None)


def test_flux_kustomizations_have_explicit_source_namespace_and_crd_safe_ordering(files):
    ks = {app: docs(files, f"{NS}/{app}/ks.yaml")[0]["spec"] for app in ("kube-prometheus-stack", "loki", "alloy")}
    for app, spec in ks.items():
        assert spec["sourceRef"] == {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"}
        assert spec["path"] == f"./kubernetes/apps/observability/{app}/app"
        assert spec["targetNamespace"] == "observability"
        assert "postBuild" not in spec  # nothing to substitute with a literal host name
    # Independent apps: no dependsOn between them (the CRDs Loki's and Alloy's charts need are retried by Helm).
    assert ks["kube-prometheus-stack"]["wait"] is True
    for app in ("kube-prometheus-stack", "loki", "alloy"):
        assert "dependsOn" not in ks[app]


def test_kube_prometheus_stack_values(files, example_answers):
    v = values(files, "kube-prometheus-stack")
    spec = v["prometheus"]["prometheusSpec"]
    for selector in ("podMonitor", "probe", "rule", "scrapeConfig", "serviceMonitor"):
        assert spec[f"{selector}SelectorNilUsesHelmValues"] is False
    assert (spec["scrapeInterval"], spec["evaluationInterval"], spec["retention"], spec["retentionSize"]) == ("30s", "30s", "30d", "25GB")
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "local-path" and claim["resources"]["requests"]["storage"] == "30Gi"
    assert v["kubeProxy"]["enabled"] is False
    assert v["kubeEtcd"]["service"]["selector"] == {"component": "kube-apiserver"}
    am = v["alertmanager"]
    (slack,) = [r for r in am["config"]["receivers"] if r["name"] == "slack"]
    assert slack["slack_configs"][0]["api_url_file"] == "/etc/alertmanager/secrets/alertmanager-slack/slack-webhook-url"
    assert "api_url" not in slack["slack_configs"][0]
    assert am["alertmanagerSpec"]["secrets"] == ["alertmanager-slack"]
    assert am["config"]["route"]["receiver"] == "slack"
    assert am["config"]["route"]["routes"] == [{"receiver": "null", "matchers": ['alertname =~ "Watchdog|InfoInhibitor"']}]
    assert v["grafana"]["admin"] == {"existingSecret": "grafana-admin", "userKey": "admin-user", "passwordKey": "admin-password"}
    assert v["grafana"]["additionalDataSources"][0]["url"] == "http://loki.observability.svc.cluster.local:3100"
    assert v["grafana"]["grafana.ini"]["server"]["root_url"] == "https://grafana.example.com"


def test_grafana_httproute_on_the_chosen_gateway(files):
    route, *others = docs(files, f"{NS}/kube-prometheus-stack/app/httproute.yaml")
    assert [o["metadata"]["name"] for o in others] == ["prometheus", "alertmanager"]  # on by default, same gateway
    assert all(o["spec"]["parentRefs"] == route["spec"]["parentRefs"] for o in others)
    assert route["spec"]["hostnames"] == ["grafana.example.com"]
    assert route["spec"]["parentRefs"] == [{"name": "internal", "namespace": "kube-system", "sectionName": "https"}]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "kube-prometheus-stack-grafana", "port": 80}]


def test_external_secrets_map_the_1password_fields(files):
    grafana, slack = docs(files, f"{NS}/kube-prometheus-stack/app/externalsecret.yaml")
    assert grafana["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "onepassword"}
    assert grafana["spec"]["dataFrom"] == [{"extract": {"key": "grafana"}}]
    assert grafana["spec"]["target"]["template"]["data"] == {
        "admin-user": '{{ index . "username" }}',
        "admin-password": '{{ index . "password" }}',
    }
    assert slack["spec"]["target"]["name"] == "alertmanager-slack"
    assert slack["spec"]["target"]["template"]["data"] == {"slack-webhook-url": '{{ index . "SLACK_WEBHOOK_URL" }}'}


def test_loki_single_binary_filesystem_with_real_retention(files):
    v = values(files, "loki")
    assert v["deploymentMode"] == "Monolithic"
    assert v["loki"]["storage"]["type"] == "filesystem"
    assert v["loki"]["compactor"]["retention_enabled"] is True
    assert v["loki"]["compactor"]["delete_request_store"] == "filesystem"
    assert v["loki"]["limits_config"]["retention_period"] == "168h"
    (schema,) = v["loki"]["schemaConfig"]["configs"]
    assert (schema["store"], schema["schema"], schema["index"]["period"]) == ("tsdb", "v13", "24h")
    assert v["singleBinary"]["replicas"] == 1
    assert v["singleBinary"]["persistence"] == {"enabled": True, "storageClass": "local-path", "size": "10Gi"}
    for target in ("read", "write", "backend"):
        assert v[target]["replicas"] == 0
    for switch in ("gateway", "chunksCache", "resultsCache", "lokiCanary", "test"):
        assert v[switch]["enabled"] is False, switch


def test_alloy_daemonset_ships_node_local_pod_logs_to_loki(files):
    v = values(files, "alloy")
    assert v["controller"]["type"] == "daemonset"
    assert {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}} in v["alloy"]["extraEnv"]
    config = v["alloy"]["configMap"]["content"]
    assert 'field = "spec.nodeName=" + coalesce(sys.env("NODE_NAME"), constants.hostname)' in config
    for label in ("namespace", "pod", "container", "app", "node"):
        assert f'target_label  = "{label}"' in config
    assert 'url = "http://loki.observability.svc.cluster.local:3100/loki/api/v1/push"' in config


def self_monitoring(files: dict[str, str]) -> dict[str, dict]:
    rule_map = values(files, "kube-prometheus-stack")["additionalPrometheusRulesMap"]
    return {r["alert"]: r for group in rule_map["self-monitoring"]["groups"] for r in group["rules"]}


def test_self_monitoring_rules_cover_the_platform(files, example_answers):
    alerts = self_monitoring(files)
    assert set(alerts) == {
        "PrometheusDown", "AlertmanagerDown", "LokiDown", "AlloyDown", "AlloyDroppingLogs", "AlloyLogWritesFailing",
        "LokiNotIngesting", "LokiCompactorNotRunning", "PrometheusRetentionCutBySize", "PrometheusStorageOutgrowingVolume",
        "ObservabilityNodeDiskFillingUp", "ObservabilityVolumeFillingUp", "NodeNotReady", "KubeStateMetricsDown",
    }
    assert alerts["PrometheusDown"]["for"] == "1m"
    # Per node, not a count: no node total anywhere in the rule.
    assert alerts["NodeNotReady"]["expr"] == 'kube_node_status_condition{condition="Ready", status="true"} == 0'
    # The size the TSDB is compared with is the volume (retentionSize caps only the blocks).
    assert str(int(30 * 2**30 * 0.9)) in alerts["PrometheusStorageOutgrowingVolume"]["expr"]


def test_node_count_no_longer_shapes_the_alerts_and_storage_class_flows_in():
    answers = answers_file.parse(MINIMAL_ANSWERS.replace("node_count: 3", "node_count: 5").replace("local-path", "openebs-hostpath"), "a.yaml")
    files = render.render(answers)
    assert self_monitoring(files) == self_monitoring(render.render(answers_file.parse(MINIMAL_ANSWERS, "a.yaml")))
    assert values(files, "loki")["singleBinary"]["persistence"]["storageClass"] == "openebs-hostpath"


def test_loki_chart_rules_dashboards_and_alloy_monitor_ride_on_kube_prometheus_stack(files):
    monitoring = values(files, "loki")["monitoring"]
    assert all(monitoring[k]["enabled"] is True for k in ("serviceMonitor", "rules", "alerts", "dashboards"))
    assert {k for k, v in monitoring["dashboards"].items() if isinstance(v, dict) and v.get("enabled") is False} == {
        "loki-bloom-build", "loki-bloom-gateway", "loki-thanos-object-storage"}
    assert values(files, "alloy")["serviceMonitor"] == {"enabled": True}


def test_flux_errors_go_to_the_alertmanager_service(files):
    provider, alert = docs(files, f"{NS}/kube-prometheus-stack/app/flux-alerts.yaml")
    assert provider["spec"] == {
        "type": "alertmanager",
        "address": "http://kube-prometheus-stack-alertmanager.observability.svc.cluster.local:9093/api/v2/alerts/",
    }
    assert alert["spec"]["providerRef"] == {"name": provider["metadata"]["name"]}
    assert alert["spec"]["eventSeverity"] == "error"
    kinds = ("Kustomization", "HelmRelease", "GitRepository", "OCIRepository", "HelmRepository")
    # The golden render has no repo around it: only its own namespace (the repo's are found at each run).
    assert alert["spec"]["eventSources"] == [{"kind": k, "name": "*"} for k in kinds]
    assert alert["spec"]["exclusionList"] == list(FLUX_ALERT_EXCLUSIONS)


def test_flux_alert_namespaces_add_cross_namespace_sources():
    answers = answers_file.parse(MINIMAL_ANSWERS + "alerting:\n  flux_alert_namespaces: [flux-system, kube-system]\n", "a.yaml")
    _, alert = docs(render.render(answers), f"{NS}/kube-prometheus-stack/app/flux-alerts.yaml")
    sources = alert["spec"]["eventSources"]
    assert len(sources) == 15  # five kinds in three namespaces
    assert {"kind": "HelmRelease", "name": "*", "namespace": "kube-system"} in sources
    assert {"kind": "Kustomization", "name": "*", "namespace": "flux-system"} in sources


APP_FILES = {
    "kube-prometheus-stack": "kube_prometheus_stack",
    "loki": "loki",
    "alloy": "alloy",
}


@pytest.mark.parametrize("off", [("alloy",), ("loki", "alloy"), ("kube-prometheus-stack",), ("kube-prometheus-stack", "alloy")],
                         ids=lambda off: "+".join(off) + "-off")
def test_a_switched_off_app_writes_nothing(off):
    switches = "".join(f"  {APP_FILES[app]}: false\n" for app in off)
    files = render.render(answers_file.parse(MINIMAL_ANSWERS + "apps:\n" + switches, "a.yaml"))
    on = [app for app in APP_FILES if app not in off]
    for app in off:
        assert not [p for p in files if p.startswith(f"{NS}/{app}/")], app
        assert app not in files[f"{NS}/kustomization.yaml"]
    (namespace_kustomization,) = docs(files, f"{NS}/kustomization.yaml")
    assert namespace_kustomization["resources"] == ["./namespace.yaml", *(f"./{a}/ks.yaml" for a in on)]
    text = "\n".join(files.values())
    if "loki" in off:
        assert "loki" not in text.replace("loki_write", "")  # no datasource, no rules, no push URL
    if "kube-prometheus-stack" in off:
        assert "monitoring.coreos.com" not in text and "serviceMonitor" not in text and "monitoring:" not in text
    if "alloy" in off:
        assert "alloy" not in text.lower()


def test_alloy_without_loki_is_refused_in_one_line():
    with pytest.raises(answers_file.AnswersInvalid) as info:
        answers_file.parse(MINIMAL_ANSWERS + "apps:\n  loki: false\n", "a.yaml")
    message = str(info.value)
    assert "\n" not in message.strip()
    assert "alloy ships logs only to this Loki: switch loki on, or switch alloy off too" in message


@pytest.mark.parametrize("apps", ["", "apps:\n  alloy: false\n", "apps:\n  kube_prometheus_stack: false\n",
                                  "flux:\n  secret_store_dependency: external-secrets/onepassword-store\n"])
def test_no_flux_kustomization_depends_on_another_app(apps):
    files = render.render(answers_file.parse(MINIMAL_ANSWERS + apps, "a.yaml"))
    for path in files:
        for doc in docs(files, path):
            if doc["apiVersion"].startswith("kustomize.toolkit.fluxcd.io/"):
                needs = {d["name"] for d in doc["spec"].get("dependsOn", [])}
                assert not needs & set(APP_FILES), (path, needs)


def test_cluster_helmrelease_defaults_leave_the_releases_bare():
    answers = answers_file.parse(MINIMAL_ANSWERS + "flux:\n  helmrelease_defaults: true\n", "a.yaml")
    for app in ("kube-prometheus-stack", "loki", "alloy"):
        (release,) = docs(render.render(answers), f"{NS}/{app}/app/helmrelease.yaml")
        assert "install" not in release["spec"] and "upgrade" not in release["spec"]


def test_substitution_mode_renders_postbuild_and_keeps_the_variable():
    answers = answers_file.parse(
        MINIMAL_ANSWERS + "grafana:\n  hostname: grafana.${SECRET_DOMAIN}\nflux:\n  substitute_from: cluster-secrets\n"
        "  namespace_components:\n    - ../../components/sops\n",
        "a.yaml",
    )
    files = render.render(answers)
    (ks,) = docs(files, f"{NS}/kube-prometheus-stack/ks.yaml")
    assert ks["spec"]["postBuild"] == {"substituteFrom": [{"kind": "Secret", "name": "cluster-secrets"}]}
    route, prometheus, alertmanager = docs(files, f"{NS}/kube-prometheus-stack/app/httproute.yaml")
    assert route["spec"]["hostnames"] == ["grafana.${SECRET_DOMAIN}"]
    assert prometheus["spec"]["hostnames"] == ["prometheus.${SECRET_DOMAIN}"]
    assert alertmanager["spec"]["hostnames"] == ["alertmanager.${SECRET_DOMAIN}"]
    assert docs(files, f"{NS}/kustomization.yaml")[0]["components"] == ["../../components/sops"]


def test_a_stray_flux_variable_fails_the_render():
    with pytest.raises(render.RenderError, match=r"x\.yaml:2: \$\{DS_PROMETHEUS\} would be replaced"):
        render.check_flux_substitution("x.yaml", "a: 1\nb: ${DS_PROMETHEUS}\n", allowed=())
    render.check_flux_substitution("x.yaml", "b: $${DS_PROMETHEUS}\nc: {{ $labels.pod }}\n", allowed=())
    with pytest.raises(render.RenderError):
        render.check_flux_substitution("x.yaml", "h: grafana.${SECRET_DOMAIN}\n", allowed=())
    render.check_flux_substitution("x.yaml", "h: grafana.${SECRET_DOMAIN}\n", allowed=("SECRET_DOMAIN",))


def _scalars(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _scalars(value)
    elif isinstance(node, list):
        for value in node:
            yield from _scalars(value)
    else:
        yield node


def test_nothing_secret_is_rendered(files):
    from wizard.answers.secret_guard import looks_secret

    for path in files:
        for doc in docs(files, path):
            assert [s for s in _scalars(doc) if isinstance(s, str) and looks_secret(s)] == [], path
            assert doc["kind"] != "Secret", path
    # The only credentials are references: ExternalSecret templates over 1Password fields.
    secrets = docs(files, f"{NS}/kube-prometheus-stack/app/externalsecret.yaml")
    for secret in secrets:
        assert all(v.startswith("{{ index . ") for v in secret["spec"]["target"]["template"]["data"].values())


def test_render_is_pure(tmp_path, monkeypatch, example_answers):
    monkeypatch.chdir(tmp_path)
    first = render.render(example_answers)
    assert render.render(example_answers) == first
    assert os.listdir(tmp_path) == []


def test_every_rendered_file_is_valid_multi_document_yaml_with_document_start(files):
    for path, text in files.items():
        assert text.startswith("---\n"), path
        assert text.endswith("\n") and not text.endswith("\n\n"), path
        assert all(line == line.rstrip() for line in text.splitlines()), path
        assert list(yaml.safe_load_all(text)), path


def test_example_answers_file_is_the_documented_example():
    assert EXAMPLE_ANSWERS.read_text().startswith("# yaml-language-server: $schema=")
