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
