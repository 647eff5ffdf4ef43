"""The crd-race check: no custom resource in the Flux Kustomization whose HelmRelease installs its CRD."""

from __future__ import annotations

import re

import pytest

from tests.conftest import MINIMAL_ANSWERS, SHARED, need
from wizard.answers import answers_file
from wizard.render import render
from wizard.validate.crd_race import CHART_CRD_GROUPS, check_crd_race

NS = "kubernetes/apps/observability"
KPS_APP = f"{NS}/kube-prometheus-stack/app"

PROMETHEUS_RULE = """---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: observability-self-monitoring
spec:
  groups: []
"""


def rendered(extra: str = "") -> dict[str, str]:
    return render.render(answers_file.parse(MINIMAL_ANSWERS + extra, "a.yaml"))


def with_file(files: dict[str, str], app_dir: str, name: str, text: str) -> dict[str, str]:
    """``files`` with ``name`` added to ``app_dir`` and listed in its kustomization.yaml, as a hand edit would."""
    out = dict(files)
    out[f"{app_dir}/{name}"] = text
    out[f"{app_dir}/kustomization.yaml"] = out[f"{app_dir}/kustomization.yaml"] + f"  - ./{name}\n"
    return out


@pytest.mark.parametrize("extra", ["", "apps:\n  alloy: false\n", "apps:\n  kube_prometheus_stack: false\n",
                                   "flux:\n  helmrelease_defaults: true\n"])
def test_the_render_has_no_crd_race(extra):
    report = check_crd_race(rendered(extra))
    assert report.findings == [] and report.checks_run == ["crd-race"]


def test_a_prometheusrule_put_back_beside_kube_prometheus_stack_is_refused():
    files = with_file(rendered(), KPS_APP, "prometheusrule.yaml", PROMETHEUS_RULE)
    (finding,) = check_crd_race(files).findings
    assert finding.level == "error" and finding.check == "crd-race"
    assert finding.file == f"{KPS_APP}/prometheusrule.yaml"
    assert finding.document == "PrometheusRule/observability-self-monitoring (document 1)"
    assert "applied by Flux Kustomization kube-prometheus-stack" in finding.message
    assert "HelmRelease/kube-prometheus-stack, whose chart installs that CRD" in finding.message
    assert "\n" not in finding.message


def test_the_same_resource_in_another_kustomization_is_fine():
    # In Loki's Kustomization it only waits for kube-prometheus-stack's CRDs (Flux retries the dry-run).
    files = with_file(rendered(), f"{NS}/loki/app", "prometheusrule.yaml", PROMETHEUS_RULE)
    assert check_crd_race(files).findings == []


def test_a_podlogs_beside_alloy_is_refused_and_crds_switched_off_are_not_a_race():
    podlogs = "---\napiVersion: monitoring.grafana.com/v1alpha2\nkind: PodLogs\nmetadata:\n  name: extra\nspec: {}\n"
    files = with_file(rendered(), f"{NS}/alloy/app", "podlogs.yaml", podlogs)
    (finding,) = check_crd_race(files).findings
    assert finding.document == "PodLogs/extra (document 1)" and "HelmRelease/alloy" in finding.message
    no_crds = dict(files)
    release = f"{NS}/alloy/app/helmrelease.yaml"
    no_crds[release] = no_crds[release].replace("  values:\n", "  values:\n    crds:\n      create: false\n", 1)
    assert check_crd_race(no_crds).findings == []


def test_validation_runs_the_crd_race_check(crd_dir):
    from wizard.validate import validate_files

    files = with_file(rendered(), KPS_APP, "prometheusrule.yaml", PROMETHEUS_RULE)
    report = validate_files(files, repo=None, crd_dir=crd_dir)
    assert "crd-race" in report.checks_run
    assert [f.file for f in report.errors if f.check == "crd-race"] == [f"{KPS_APP}/prometheusrule.yaml"]


def test_the_chart_crd_table_matches_the_charts():
    """Each chart's crds/ directories (its own and its subcharts') hold exactly the groups listed."""
    source = SHARED / "charts-src"
    need(source.is_dir(), f"{source} is absent (chart sources live in ../shared/charts-src)")
    for chart, (groups, _) in CHART_CRD_GROUPS.items():
        (chart_dir,) = [p for p in source.iterdir() if p.name.startswith(chart + "-") and p.name[len(chart) + 1].isdigit()]
        found = set()
        for crd_file in chart_dir.rglob("crds/*.yaml"):
            text = crd_file.read_text(encoding="utf-8")  # (some CRDs carry YAML tags a safe loader refuses)
            if "kind: CustomResourceDefinition" in text:
                found |= set(re.findall(r"(?m)^  group: (\S+)$", text))
        assert found == set(groups), chart
