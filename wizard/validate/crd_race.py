"""The "crd-race" check: no custom resource beside the HelmRelease that installs its CRD.

A Flux Kustomization applies its objects with one server-side dry-run first. On a cluster that does
not have a CRD yet, a custom resource of that CRD fails the dry-run of the whole Kustomization, so the
HelmRelease beside it, the very one whose chart would install the CRD, is never applied: the
Kustomization stays failed for good. Such a resource belongs in the chart's own values (rendered by
Helm after the chart's CRDs, e.g. kube-prometheus-stack's additionalPrometheusRulesMap) or in a
separate Kustomization that dependsOn the one with the HelmRelease.
"""

from __future__ import annotations

from typing import Any

from wizard.base import yamlio
from wizard.validate.findings import Finding, Report

#: chart name -> (API groups of the CRDs it installs, the values switch that turns them off).
#: Read from each chart's crds/ directories (tests check this against ../shared/charts-src).
CHART_CRD_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "kube-prometheus-stack": (("monitoring.coreos.com",), ("crds", "enabled")),
    "alloy": (("monitoring.grafana.com",), ("crds", "create")),
    "loki": ((), ()),
}


def _all_documents(files: dict[str, str]) -> list[tuple[str, int, dict[str, Any]]]:
    found = []
    for path, text in files.items():
        if not path.endswith((".yaml", ".yml")):
            continue
        try:
            docs = yamlio.load_all(text)
        except yamlio.YAMLError:
            continue  # reported by the yaml/crd-schema check
        found.extend((path, index, doc) for index, doc in enumerate(docs, start=1) if isinstance(doc, dict))
    return found


def _group(api_version: object) -> str:
    text = str(api_version or "")
    return text.split("/", 1)[0] if "/" in text else ""


def _chart(release: dict[str, Any], repositories: dict[str, str]) -> str:
    spec = release.get("spec") or {}
    chart_ref = spec.get("chartRef") or {}
    if chart_ref.get("name") in repositories:
        return repositories[chart_ref["name"]].rstrip("/").rsplit("/", 1)[-1]
    chart = ((spec.get("chart") or {}).get("spec") or {}).get("chart")
    return str(chart or (release.get("metadata") or {}).get("name", ""))


def _installs_crds(release: dict[str, Any], switch: tuple[str, ...]) -> bool:
    spec = release.get("spec") or {}
    if (spec.get("install") or {}).get("crds") == "Skip":
        return False
    node: Any = spec.get("values") or {}
    for key in switch:
        if not isinstance(node, dict) or key not in node:
            return True
        node = node[key]
    return node is not False


def check_crd_race(files: dict[str, str]) -> Report:
    report = Report(checks_run=["crd-race"])
    documents = _all_documents(files)
    for ks_path, _, ks in documents:
        if _group(ks.get("apiVersion")) != "kustomize.toolkit.fluxcd.io" or ks.get("kind") != "Kustomization":
            continue
        target = str((ks.get("spec") or {}).get("path") or "").removeprefix("./").strip("/")
        if not target:
            continue
        members = [(p, i, d) for p, i, d in documents if p.startswith(target + "/")]
        repositories = {str((d.get("metadata") or {}).get("name")): str((d.get("spec") or {}).get("url") or "")
                        for _, _, d in members if d.get("kind") == "OCIRepository"}
        installers: dict[str, str] = {}  # API group -> HelmRelease name
        for _, _, doc in members:
            if doc.get("kind") != "HelmRelease":
                continue
            groups, switch = CHART_CRD_GROUPS.get(_chart(doc, repositories), ((), ()))
            if _installs_crds(doc, switch):
                for group in groups:
                    installers.setdefault(group, str((doc.get("metadata") or {}).get("name")))
        ks_name = (ks.get("metadata") or {}).get("name", "?")
        for path, index, doc in members:
            group = _group(doc.get("apiVersion"))
            if group not in installers:
                continue
            kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name", "?")
            report.add(Finding(
                "error", "crd-race",
                f"{kind} ({group}) is applied by Flux Kustomization {ks_name} ({ks_path}) together with "
                f"HelmRelease/{installers[group]}, whose chart installs that CRD: on a cluster without the CRD the "
                "dry-run fails the whole Kustomization and the chart is never installed; move it into the chart's "
                "values or into a separate Kustomization that dependsOn this one",
                file=path, document=f"{kind}/{name} (document {index})"))
    return report
