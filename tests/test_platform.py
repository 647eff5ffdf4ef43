"""The platform as the pinned charts render it (Helm SDK, ../shared/charts-src): every container sized,
links that open, Grafana's state on a volume, inhibition, dropped buckets, Flux alerts for the cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wizard.answers import answers_file
from wizard.answers.model import Answers
from wizard.render import render, sizing
from wizard.validate import helm_render

_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def rendered_objects(answers: Answers, charts_src: Path) -> dict[str, list[dict[str, Any]]]:
    """Release name -> the objects its chart renders from what obs-wizard writes."""
    files = render.render(answers)
    rendered, report = helm_render.render_all(files, charts_src)
    assert not report.errors and not report.skipped, [f.line() for f in report.findings]
    return {r.release.name: r.objects for r in rendered}


def containers(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(workload/container, container) of every container a workload of ``objects`` runs."""
    out = []
    for obj in objects:
        if obj["kind"] not in _WORKLOADS:
            continue
        spec = obj.get("spec") or {}
        if obj["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod = spec["template"]["spec"]
        for container in [*(pod.get("initContainers") or []), *pod["containers"]]:
            out.append((f"{obj['kind']}/{obj['metadata']['name']}/{container['name']}", container))
    return out


def sized(resources: dict[str, Any] | None) -> bool:
    resources = resources or {}
    return bool((resources.get("requests") or {}).get("memory") and (resources.get("limits") or {}).get("memory")
                and (resources.get("requests") or {}).get("cpu"))


@pytest.fixture
def answers(example_answers) -> Answers:
    return example_answers


def test_every_container_of_the_three_charts_has_a_memory_request_and_limit(answers, charts_src):
    objects = rendered_objects(answers, charts_src)
    assert set(objects) == {"kube-prometheus-stack", "loki", "alloy"}
    seen = {}
    for release, objs in objects.items():
        for where, container in containers(objs):
            seen[f"{release}: {where}"] = container.get("resources")
    unsized = [where for where, resources in seen.items() if not sized(resources)]
    assert unsized == [], unsized
    # The 14 containers the issue counted, and the admission jobs, are all among them.
    names = {where.rsplit("/", 1)[1] for where in seen}
    assert {"grafana", "grafana-sc-dashboard", "grafana-sc-datasources", "kube-state-metrics", "node-exporter",
            "kube-prometheus-stack", "loki", "loki-sc-rules", "alloy", "config-reloader", "create", "patch"} <= names, names
    # Prometheus and Alertmanager run from their custom resources (the operator makes the pods) ...
    kps = objects["kube-prometheus-stack"]
    for kind in ("Prometheus", "Alertmanager"):
        (cr,) = [o for o in kps if o["kind"] == kind]
        assert sized(cr["spec"].get("resources")), (kind, cr["spec"].get("resources"))
    # ... and the operator adds a config-reloader to each: sized by its flags (the chart alone passes 0).
    (operator,) = [c for where, c in containers(kps) if where.startswith("Deployment/kube-prometheus-stack-operator/")]
    flags = dict(arg.split("=", 1) for arg in operator["args"] if arg.startswith("--config-reloader-"))
    reloader = sizing.container_sizes(answers)["config_reloader"]
    assert flags["--config-reloader-memory-request"] == reloader.request
    assert flags["--config-reloader-memory-limit"] == reloader.limit
    assert flags["--config-reloader-cpu-request"] == reloader.cpu


def test_the_written_sizes_are_the_estimate_and_follow_the_cluster(answers, charts_src):
    objects = rendered_objects(answers, charts_src)
    sizes = sizing.container_sizes(answers)
    by_name = {where.rsplit("/", 1)[1]: c["resources"] for objs in objects.values() for where, c in containers(objs)}
    for container, key in (("grafana", "grafana"), ("grafana-sc-dashboard", "grafana_sidecar"),
                           ("kube-state-metrics", "kube_state_metrics"), ("node-exporter", "node_exporter"),
                           ("loki", "loki"), ("loki-sc-rules", "loki_sidecar"), ("alloy", "alloy"),
                           ("config-reloader", "alloy_reloader"), ("kube-prometheus-stack", "operator")):
        size = sizes[key]
        assert by_name[container] == {"requests": {"cpu": size.cpu, "memory": size.request},
                                      "limits": {"memory": size.limit}}, container
    bigger = answers.model_copy(update={"cluster": answers.cluster.model_copy(update={"node_count": 150})})
    more = sizing.container_sizes(bigger)
    for key in ("prometheus", "loki", "kube_state_metrics"):
        assert more[key].request_bytes > sizes[key].request_bytes, key
    assert more["kube_state_metrics"].request_bytes == sizing.KSM_BASE_BYTES + 50 * sizing.KSM_PER_NODE_BYTES


def test_only_the_apps_switched_on_are_sized():
    base = answers_file.parse("cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n"
                              "apps:\n  loki: false\n  alloy: false\n", "answers.yaml")
    assert not {"loki", "loki_sidecar", "alloy", "alloy_reloader"} & set(sizing.container_sizes(base))


# --- inhibition: the real Alertmanager ----------------------------------------------------------

def _effective_alertmanager_config(answers: Answers, charts_dir: Path) -> dict[str, Any]:
    import yaml

    from wizard.render.extract import helmrelease_values
    from wizard.validate.alertmanager import effective_config

    kps = yaml.safe_load((charts_dir / "kube-prometheus-stack-88.5.3/values.yaml").read_text(encoding="utf-8"))
    _, values = helmrelease_values(render.render(answers), "kube-prometheus-stack")
    return effective_config(values, kps)


def test_inhibit_rules_are_written_and_pass_amtool(answers, charts_dir):
    import subprocess
    import tempfile

    import yaml

    from tests.conftest import require_tool
    from wizard.validate.alertmanager import amtool_copy

    amtool = require_tool("amtool")
    config = _effective_alertmanager_config(answers, charts_dir)
    rules = config["inhibit_rules"]
    assert rules[0] == {"source_matchers": ['severity = "critical"'], "target_matchers": ['severity =~ "warning|info"'],
                        "equal": ["namespace", "alertname"]}
    sources = [r.get("source_matchers") for r in rules]
    assert ['alertname = "LokiDown"', 'namespace = "observability"'] in sources and ['alertname = "NodeNotReady"'] in sources
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alertmanager.yaml"
        path.write_text(yaml.safe_dump(amtool_copy(config)), encoding="utf-8")
        proc = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and " - 6 inhibit rules" in proc.stdout, proc.stdout + proc.stderr
        # Inhibited alerts still route to Slack (inhibition mutes them there, routing is unchanged).
        proc = subprocess.run([amtool, "config", "routes", "test", f"--config.file={path}", "--verify.receivers=slack",
                               "alertname=KubePodCrashLooping", "severity=warning", "namespace=default"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    without_loki = answers_file.parse("cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n"
                                      "apps:\n  loki: false\n  alloy: false\n", "answers.yaml")
    assert "LokiDown" not in str(_effective_alertmanager_config(without_loki, charts_dir)["inhibit_rules"])


def test_critical_inhibits_its_warning_twin_in_the_real_alertmanager(answers, charts_dir, tmp_path):
    """The generated config in the real Alertmanager on 127.0.0.1: pairs of alerts posted to its API, and
    which of them it reports inhibited (the status Slack notifications honour)."""
    import json
    import signal
    import subprocess
    import urllib.request

    import yaml

    from tests.conftest import require_tool
    from tests.test_alert_pipeline import free_port, get_json, wait_for
    from wizard.validate.alertmanager import amtool_copy

    binary = require_tool("prometheus-alertmanager")
    config = amtool_copy(_effective_alertmanager_config(answers, charts_dir))
    (tmp_path / "slack-url").write_text("http://127.0.0.1:9/never-sent", encoding="utf-8")
    for receiver in config["receivers"]:
        for slack in receiver.get("slack_configs") or []:
            slack["api_url_file"] = str(tmp_path / "slack-url")
    (tmp_path / "alertmanager.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([binary, f"--config.file={tmp_path / 'alertmanager.yaml'}", f"--storage.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: urllib.request.urlopen(f"{base}/-/ready", timeout=2).status == 200, 60, "Alertmanager ready")
        posted = {
            "critical": {"alertname": "KubePodCrashLooping", "severity": "critical", "namespace": "default"},
            "its warning twin": {"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "default"},
            "the twin in another namespace": {"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "media"},
            "LokiDown": {"alertname": "LokiDown", "severity": "critical", "namespace": "observability", "container": "loki"},
            "LokiNotIngesting": {"alertname": "LokiNotIngesting", "severity": "warning"},
            "AlloyDroppingLogs": {"alertname": "AlloyDroppingLogs", "severity": "warning", "namespace": "observability"},
            "NodeNotReady": {"alertname": "NodeNotReady", "severity": "critical", "node": "n1"},
            "KubeNodeNotReady on that node": {"alertname": "KubeNodeNotReady", "severity": "warning", "node": "n1"},
            "KubeNodeNotReady elsewhere": {"alertname": "KubeNodeNotReady", "severity": "warning", "node": "n2"},
            "a Flux error": {"alertname": "FluxHelmReleaseInstallfailed", "severity": "error", "namespace": "default"},
        }
        body = json.dumps([{"labels": labels} for labels in posted.values()]).encode()
        request = urllib.request.Request(f"{base}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"})
        assert urllib.request.urlopen(request, timeout=5).status == 200
        expected = {"its warning twin", "LokiNotIngesting", "KubeNodeNotReady on that node"}

        def inhibited() -> set[str] | None:
            alerts = get_json(f"{base}/api/v2/alerts")
            if len(alerts) < len(posted):
                return None
            muted = {name for name, labels in posted.items() for a in alerts
                     if a["labels"] == labels and a["status"]["inhibitedBy"]}
            return muted if muted == expected else None

        assert wait_for(inhibited, 30, f"exactly {sorted(expected)} inhibited", step=0.3) == expected
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


# --- external URLs: each one a page on an HTTPRoute to that component's Service ------------------

def _labels_of_pods(cr: dict[str, Any]) -> dict[str, str]:
    """The labels the Prometheus Operator puts on the pods of a Prometheus or Alertmanager (its name and kind)."""
    kind = cr["kind"].lower()
    return {"app.kubernetes.io/name": kind, "operator.prometheus.io/name": cr["metadata"]["name"], kind: cr["metadata"]["name"],
            "app.kubernetes.io/managed-by": "prometheus-operator", "app.kubernetes.io/instance": cr["metadata"]["name"]}


def test_each_external_url_host_is_served_by_a_route_to_that_components_service(answers, charts_src):
    from urllib.parse import urlsplit

    from wizard.base import yamlio
    from wizard.render.extract import helmrelease_values

    files = render.render(answers)
    routes = [d for d in yamlio.load_all(files["kubernetes/apps/observability/kube-prometheus-stack/app/httproute.yaml"]) if d]
    kps = rendered_objects(answers, charts_src)["kube-prometheus-stack"]
    services = {o["metadata"]["name"]: o for o in kps if o["kind"] == "Service"}
    for kind, port_name in (("Prometheus", "http-web"), ("Alertmanager", "http-web")):
        (cr,) = [o for o in kps if o["kind"] == kind]
        url = urlsplit(cr["spec"]["externalUrl"])
        assert url.scheme == "https" and url.path in ("", "/"), url
        (route,) = [r for r in routes if url.hostname in r["spec"]["hostnames"]]
        (ref,) = route["spec"]["rules"][0]["backendRefs"]
        service = services[ref["name"]]
        (port,) = [p for p in service["spec"]["ports"] if p["port"] == ref["port"]]
        assert port["name"] == port_name, (kind, port)
        selector = service["spec"]["selector"]
        pods = _labels_of_pods(cr)
        assert all(pods.get(k) == v for k, v in selector.items()), (kind, selector)  # the component's own pods
        assert route["spec"]["parentRefs"] == [{"name": "internal", "namespace": "kube-system", "sectionName": "https"}]
    off = answers.model_copy(update={"grafana": answers.grafana.model_copy(update={"expose_prometheus_alertmanager": False})})
    kps = rendered_objects(off, charts_src)["kube-prometheus-stack"]
    _, values = helmrelease_values(render.render(off), "kube-prometheus-stack")
    assert "externalUrl" not in values["prometheus"]["prometheusSpec"] and "externalUrl" not in values["alertmanager"]["alertmanagerSpec"]
    for kind, port in (("Prometheus", 9090), ("Alertmanager", 9093)):
        (cr,) = [o for o in kps if o["kind"] == kind]
        # Unset, the chart falls back to the in-cluster Service address: no Slack message links to it.
        assert cr["spec"]["externalUrl"] == f"http://kube-prometheus-stack-{kind.lower()}.observability:{port}", kind


# --- Grafana's state on a volume of the answers' StorageClass ------------------------------------

def test_grafana_mounts_a_pvc_of_the_answers_storage_class(answers, charts_src):
    kps = rendered_objects(answers, charts_src)["kube-prometheus-stack"]
    (deployment,) = [o for o in kps if o["kind"] == "Deployment" and o["metadata"]["name"] == "kube-prometheus-stack-grafana"]
    pod = deployment["spec"]["template"]["spec"]
    (storage,) = [v for v in pod["volumes"] if v["name"] == "storage"]
    claim_name = storage["persistentVolumeClaim"]["claimName"]
    (claim,) = [o for o in kps if o["kind"] == "PersistentVolumeClaim" and o["metadata"]["name"] == claim_name]
    assert claim["spec"]["storageClassName"] == answers.cluster.storage_class == "local-path"
    assert claim["spec"]["resources"]["requests"]["storage"] == render.GRAFANA_PVC_SIZE == sizing.GRAFANA_PVC_SIZE
    (grafana,) = [c for c in pod["containers"] if c["name"] == "grafana"]
    assert {"name": "storage", "mountPath": "/var/lib/grafana"} in [{k: m[k] for k in ("name", "mountPath")}
                                                                   for m in grafana["volumeMounts"]]
    assert deployment["spec"]["strategy"]["type"] == "Recreate"  # one writer on the ReadWriteOnce volume
    other = answers.model_copy(update={"cluster": answers.cluster.model_copy(update={"storage_class": "openebs-hostpath"})})
    kps = rendered_objects(other, charts_src)["kube-prometheus-stack"]
    (claim,) = [o for o in kps if o["kind"] == "PersistentVolumeClaim" and o["metadata"]["name"] == claim_name]
    assert claim["spec"]["storageClassName"] == "openebs-hostpath"
    assert any("Grafana: users, dashboards and preferences on a 2Gi volume" in line for line in sizing.summary(answers))


# --- dropped buckets: only what no rule or dashboard of the chart reads ---------------------------

def test_dropped_buckets_are_read_by_no_rule_or_dashboard_and_keep_the_charts_own_cut(answers, charts_src, charts_dir):
    import re

    import yaml

    objects = rendered_objects(answers, charts_src)
    kps = objects["kube-prometheus-stack"]
    monitors = {o["metadata"]["name"]: o for o in kps if o["kind"] == "ServiceMonitor"}
    defaults = yaml.safe_load((charts_dir / "kube-prometheus-stack-88.5.3/values.yaml").read_text(encoding="utf-8"))
    api = monitors["kube-prometheus-stack-apiserver"]["spec"]["endpoints"][0]["metricRelabelings"]
    chart_rule = defaults["kubeApiServer"]["serviceMonitor"]["metricRelabelings"][0]
    assert api[0]["regex"] == chart_rule["regex"] and api[0]["sourceLabels"] == chart_rule["sourceLabels"]
    kubelet = monitors["kube-prometheus-stack-kubelet"]["spec"]["endpoints"][0]["metricRelabelings"]
    assert kubelet[0]["regex"] == defaults["kubelet"]["serviceMonitor"]["metricRelabelings"][0]["regex"]
    dropped_api = re.compile(api[1]["regex"])
    dropped_client = re.compile(kubelet[1]["regex"])
    for name in ("kube-prometheus-stack-kube-controller-manager", "kube-prometheus-stack-kube-scheduler"):
        assert monitors[name]["spec"]["endpoints"][0]["metricRelabelings"][-1]["regex"] == kubelet[1]["regex"], name
    # Everything the charts' rules and dashboards read (expressions of every PrometheusRule, every dashboard ConfigMap).
    texts = [yaml.safe_dump(o["spec"]) for objs in objects.values() for o in objs if o["kind"] == "PrometheusRule"]
    texts += [str(v) for objs in objects.values() for o in objs if o["kind"] == "ConfigMap"
              for v in (o.get("data") or {}).values() if '"panels"' in str(v) or "expr" in str(v)]
    read = {m for text in texts for m in re.findall(r"[a-z_]+_bucket\b", text)}
    assert len(texts) > 30 and "apiserver_request_sli_duration_seconds_bucket" in read  # the scan sees the SLO rules
    assert not [m for m in read if dropped_api.fullmatch(m) or dropped_client.fullmatch(m)
                if m != "rest_client_request_duration_seconds_bucket"], read
    # rest_client request latency is read, but never from the API server's job.
    for text in texts:
        for selector in re.findall(r"rest_client_request_duration_seconds_bucket\{([^}]*)\}", text):
            assert 'job="apiserver"' not in selector and "apiserver" not in selector, selector
    for kept in ("apiserver_request_sli_duration_seconds_bucket", "etcd_disk_wal_fsync_duration_seconds_bucket",
                 "rest_client_request_duration_seconds_bucket", "workqueue_queue_duration_seconds_bucket"):
        assert not dropped_api.fullmatch(kept) or kept.startswith("rest_client"), kept
        assert not dropped_client.fullmatch(kept), kept
    for gone in ("apiserver_request_duration_seconds_bucket", "apiserver_request_body_size_bytes_bucket",
                 "apiserver_response_sizes_bucket", "etcd_request_duration_seconds_bucket"):
        assert dropped_api.fullmatch(gone), gone


# --- Flux alerts for the whole cluster ------------------------------------------------------------

APP = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {app}
spec:
  interval: 1h
  path: ./kubernetes/apps/{ns}/{app}/app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  targetNamespace: {target}
"""
NAMESPACE_KUSTOMIZATION = """\
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {ns}
resources:
  - ./{app}/ks.yaml
"""


def add_app(repo: Path, ns: str, app: str, target: str | None = None) -> None:
    folder = repo / "kubernetes/apps" / ns
    (folder / app).mkdir(parents=True, exist_ok=True)
    (folder / app / "ks.yaml").write_text(APP.format(app=app, ns=ns, target=target or ns), encoding="utf-8")
    if not (folder / "kustomization.yaml").exists():
        (folder / "kustomization.yaml").write_text(NAMESPACE_KUSTOMIZATION.format(ns=ns, app=app), encoding="utf-8")


def flux_alert(repo: Path) -> dict[str, Any]:
    from wizard.base import yamlio

    text = (repo / "kubernetes/apps/observability/kube-prometheus-stack/app/flux-alerts.yaml").read_text(encoding="utf-8")
    (alert,) = [d for d in yamlio.load_all(text) if d and d["kind"] == "Alert"]
    return alert


def covered(alert: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for source in alert["spec"]["eventSources"]:
        out.setdefault(source.get("namespace", "observability"), set()).add(source["kind"])
    return out


def test_five_app_namespaces_are_covered_and_a_new_one_after_a_rerun(tmp_path):
    from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli
    from wizard.repo import app_namespaces

    repo = flux_repo(tmp_path / "home-ops")
    for ns, app, target in (("default", "echo", None), ("network", "envoy-gateway", None), ("media", "jellyfin", None),
                            ("home-automation", "home-assistant", None), ("database", "cloudnative-pg", "cnpg-system")):
        add_app(repo, ns, app, target)
    found = app_namespaces.discover(repo)
    # the five app folders, the targetNamespace one of them sends its objects to, and the example repo's own
    assert {"default", "network", "media", "home-automation", "database", "cnpg-system", "kube-system",
            "external-secrets", "flux-system"} <= set(found), found
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    assert "namespaces the apps use (the Flux alerts watch them): " in result.out
    kinds = {"Kustomization", "HelmRelease", "GitRepository", "OCIRepository", "HelmRepository"}
    watched = covered(flux_alert(repo))
    assert set(watched) == {"observability", *found} and all(k == kinds for k in watched.values()), watched
    assert flux_alert(repo)["spec"]["exclusionList"]
    # Saved for reference beside the answers; the next run replaces it with what it finds.
    saved = answers_file.load(repo / ".obs-wizard/answers.yaml")
    assert saved.alerting.flux_alert_found_namespaces == [n for n in found if n != "observability"]

    add_app(repo, "monitoring-extra", "blackbox-exporter")  # a sixth namespace, then re-run
    result = run_cli("--answers", repo / ".obs-wizard/answers.yaml", "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    assert "monitoring-extra" in covered(flux_alert(repo))
    assert set(covered(flux_alert(repo))) == {"observability", *app_namespaces.discover(repo)}
    result = run_cli("--check", "--repo", repo)
    assert result.code == 0, result  # the manifests are what this run's answers and discovery render


def test_flux_alert_namespaces_switch_and_exclusions_are_answers():
    from wizard.repo import app_namespaces

    base = answers_file.parse("cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n", "a.yaml")
    found = app_namespaces.with_found_namespaces(base, ["default", "network", "observability"])
    assert found.model_dump(mode="json")["alerting"]["flux_alert_found_namespaces"] == ["default", "network"]  # the state keeps it
    stale = answers_file.parse(answers_file.dump(found).replace("- network", "- gone"), "a.yaml")
    assert app_namespaces.with_found_namespaces(stale, ["default"]).alerting.flux_alert_found_namespaces == ["default"]
    assert render.flux_alert_namespaces(found) == ["observability", "default", "network"]
    off = found.model_copy(update={"alerting": found.alerting.model_copy(update={"flux_alert_repo_namespaces": False,
                                                                                 "flux_alert_namespaces": ["flux-system"]})})
    assert render.flux_alert_namespaces(off) == ["observability", "flux-system"]
    mine = answers_file.parse("cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n"
                              "alerting:\n  flux_alert_exclusions:\n    - 'no artifact.*found'\n", "a.yaml")
    assert mine.alerting.flux_alert_exclusions == ["no artifact.*found"]
    with pytest.raises(Exception, match="not a regular expression"):
        answers_file.parse("cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n"
                           "alerting:\n  flux_alert_exclusions:\n    - '(unclosed'\n", "a.yaml")


def test_namespace_discovery_reads_only_the_repo(tmp_path):
    from wizard.repo import app_namespaces

    outside = tmp_path / "outside"
    (outside / "evil").mkdir(parents=True)
    (outside / "evil" / "ks.yaml").write_text(APP.format(app="x", ns="stolen", target="stolen"), encoding="utf-8")
    repo = tmp_path / "repo"
    add_app(repo, "default", "echo")
    (repo / "kubernetes/apps/default/linked").symlink_to(outside / "evil")
    (repo / "kubernetes/apps/default/echo/bad.yaml").write_text("kind: Kustomization\napiVersion: kustomize.toolkit.fluxcd.io/v1\n"
                                                              "metadata: {name: a, namespace: '${NS}'}\n", encoding="utf-8")
    (repo / "kubernetes/apps/Not_A_Name").mkdir()
    assert app_namespaces.discover(repo) == ["default"]
    assert app_namespaces.discover(tmp_path / "nothing") == []
