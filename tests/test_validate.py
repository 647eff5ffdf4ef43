"""Validation: strict CRD schemas for every kind written, core kinds, kustomize, missing tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_tool
from wizard.render import render
from wizard.validate import validate_files
from wizard.validate.crd_schema import check_documents
from wizard.validate.wiring import CHECKS as WIRING_CHECKS

NS = "kubernetes/apps/observability"


@pytest.fixture
def files(example_answers) -> dict[str, str]:
    return render.render(example_answers)


def errors(files: dict[str, str], crd_dir: Path) -> list[str]:
    return [f.line() for f in check_documents(files, crd_dir, strict_missing=True).errors]


def test_the_render_passes_every_check(files, crd_dir, charts_dir, charts_src, kubectl, example_answers):
    require_tool("promtool")
    require_tool("amtool")
    report = validate_files(files, repo=None, crd_dir=crd_dir, charts_dir=charts_dir, answers=example_answers, charts_src=charts_src)
    assert report.findings == []
    assert report.checks_run == ["flux-substitution", "crd-schema", "crd-race", "chart-values", "alloy", "promtool", "amtool", "release-consistency",
                                 "chart-render",
                                 *WIRING_CHECKS, "kustomize", "manifests"]


@pytest.mark.parametrize("token", ["", "  heartbeat_token_field: HEARTBEAT_TOKEN\n"], ids=["url-only", "gatus-token"])
def test_heartbeat_and_routes_render_passes_every_check(crd_dir, charts_dir, kubectl, token):
    """The optional parts: the heartbeat ExternalSecret and route (with a gatus bearer token too), HTTPRoutes for
    Prometheus and Alertmanager."""
    from tests.conftest import MINIMAL_ANSWERS
    from wizard.answers import answers_file
    from wizard.validate import validate_answers_render

    require_tool("promtool")
    require_tool("amtool")
    answers = answers_file.parse(MINIMAL_ANSWERS + "secrets:\n  heartbeat_item: alertmanager\n" + token +
                                 "grafana:\n  expose_prometheus_alertmanager: true\n  hostname: grafana.${SECRET_DOMAIN}\n"
                                 "flux:\n  substitute_from: cluster-secrets\n", "a.yaml")
    report = validate_answers_render(answers, render.render(answers), repo=None, crd_dir=crd_dir, charts_dir=charts_dir)
    assert report.findings == [], [f.line() for f in report.findings]
    assert [o.status for o in report.outcomes()] == ["passed"] * len(report.checks_run)


BREAKAGES = [
    # (file, old, new, expected fragment): one unknown / wrong-type / enum / required fault per kind
    (f"{NS}/loki/ks.yaml", "spec:\n", "sepc: {}\nspec:\n", "(document): unknown field 'sepc'"),
    (f"{NS}/loki/ks.yaml", "  prune: true", "  prune: yes please", "spec.prune: 'yes please' is not of type 'boolean'"),
    (f"{NS}/loki/ks.yaml", "    kind: GitRepository", "    kind: GitRepo", "spec.sourceRef.kind: 'GitRepo' is not one of"),
    (f"{NS}/loki/app/helmrelease.yaml", "metadata:\n  name: loki", "metadata:\n  lables: {}\n  name: loki", "metadata: unknown field 'lables'"),
    (f"{NS}/loki/app/helmrelease.yaml", "  interval: 1h\n", "  intervall: 1h\n", "spec: unknown field 'intervall'"),
    (f"{NS}/alloy/app/helmrelease.yaml", "    crds: CreateReplace\n    remediation", "    crds: Always\n    remediation", "spec.install.crds: 'Always' is not one of"),
    (f"{NS}/alloy/app/ocirepository.yaml", "operation: copy", "operation: cp", "spec.layerSelector.operation: 'cp' is not one of ['extract', 'copy']"),
    (f"{NS}/alloy/app/ocirepository.yaml", "  url: oci://", "  url: https://", "spec.url: 'https://"),
    (f"{NS}/kube-prometheus-stack/app/externalsecret.yaml", "  refreshInterval: 1h\n", "  refreshIntervall: 1h\n", "spec: unknown field 'refreshIntervall'"),
    (f"{NS}/kube-prometheus-stack/app/httproute.yaml", "      sectionName: https", "      sectionNam: https", "spec.parentRefs[0]: unknown field 'sectionNam'"),
    (f"{NS}/kube-prometheus-stack/app/helmrelease.yaml", "for: 10m", "for: 10 minutes",
     "additionalPrometheusRulesMap.self-monitoring: spec.values.additionalPrometheusRulesMap.self-monitoring.groups[0].rules[5].for: '10 minutes' does not match"),
    (f"{NS}/kube-prometheus-stack/app/helmrelease.yaml", "- alert: LokiDown", "- alertt: LokiDown", "unknown field 'alertt'"),
    (f"{NS}/kube-prometheus-stack/app/flux-alerts.yaml", "  type: alertmanager", "  type: alertmanger", "spec.type: 'alertmanger' is not one of"),
    (f"{NS}/kube-prometheus-stack/app/flux-alerts.yaml", "    - kind: OCIRepository", "    - kind: OCIRepo", "spec.eventSources[3].kind: 'OCIRepo' is not one of"),
    (f"{NS}/kube-prometheus-stack/app/flux-alerts.yaml", "  eventSeverity: error", "  eventSeverity: fatal", "spec.eventSeverity: 'fatal' is not one of"),
    (f"{NS}/namespace.yaml", "  name: observability", "  name: observability\n  lables: {}", "Namespace/observability (document 1): metadata: unknown field 'lables'"),
]


@pytest.mark.parametrize(("path", "old", "new", "expected"), BREAKAGES, ids=[b[3][:40] for b in BREAKAGES])
def test_each_kind_is_checked_strictly_and_named_precisely(files, crd_dir, path, old, new, expected):
    broken = dict(files)
    assert old in broken[path]
    broken[path] = broken[path].replace(old, new, 1)
    found = errors(broken, crd_dir)
    assert found, "the fault was not caught"
    assert any(expected in line and path in line for line in found), found


def test_second_document_of_a_multi_document_file_is_named(files, crd_dir):
    broken = dict(files)
    path = f"{NS}/kube-prometheus-stack/app/externalsecret.yaml"
    head, tail = broken[path].split("name: alertmanager-slack\n", 1)
    broken[path] = head + "name: alertmanager-slack\n" + tail.replace("  refreshInterval: 1h", "  refreshInterval: 1h\n  dataform: []", 1)
    (line,) = errors(broken, crd_dir)
    assert "ExternalSecret/alertmanager-slack (document 2): spec: unknown field 'dataform'" in line


def test_unknown_kind_without_a_crd_is_reported(files, crd_dir):
    extra = dict(files)
    extra[f"{NS}/loki/app/extra.yaml"] = "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    (line,) = errors(extra, crd_dir)
    assert "no schema for example.com/v1 Widget" in line


def test_invalid_yaml_is_reported_with_the_file(files, crd_dir):
    broken = dict(files)
    broken[f"{NS}/loki/ks.yaml"] = "---\na: [\n"
    (line,) = errors(broken, crd_dir)
    assert line.startswith(f"error: [yaml] {NS}/loki/ks.yaml: not valid YAML")


def test_kustomize_failure_names_the_directory(files, kubectl):
    broken = dict(files)
    broken[f"{NS}/loki/app/kustomization.yaml"] = broken[f"{NS}/loki/app/kustomization.yaml"].replace("resources:", "resource:")
    report = validate_files(broken, repo=None, crd_dir=None)
    kustomize = [f for f in report.errors if f.check == "kustomize"]
    assert len(kustomize) == 1
    assert kustomize[0].file == f"{NS}/loki/app/kustomization.yaml"
    assert kustomize[0].message == 'invalid Kustomization: json: unknown field "resource"'


def test_missing_kubectl_is_skipped_with_a_reason_or_fails_in_strict_mode(files, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)
    report = validate_files(files, repo=None, crd_dir=None)
    skipped = [f for f in report.findings if f.check == "kustomize"]
    assert [f.level for f in skipped] == ["skipped"]
    assert "kubectl not found, so `kubectl kustomize` did not run" in skipped[0].message
    assert skipped[0].remedy == "install kubectl (https://kubernetes.io/docs/tasks/tools/#kubectl)"
    assert report.ok
    assert report.with_strict(True).ok is False  # --strict: a skipped check fails
    monkeypatch.setenv("OBS_WIZARD_STRICT_TOOLS", "1")
    assert not validate_files(files, repo=None, crd_dir=None).ok


def test_the_valid_document_cache_never_hides_an_error(files, crd_dir):
    from wizard.validate.validcache import _path

    assert errors(files, crd_dir) == []  # validated, remembered as valid
    assert _path().is_file()
    assert errors(files, crd_dir) == []  # answered from the cache
    broken = dict(files)
    path = f"{NS}/loki/ks.yaml"
    broken[path] = broken[path].replace("  prune: true", "  prune: maybe")
    first = errors(broken, crd_dir)
    assert first and first == errors(broken, crd_dir)  # an invalid document is checked every time
