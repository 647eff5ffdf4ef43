"""Where the CRD schemas come from, kind by kind, and what the report says about it.

In order: ``--crd-dir`` / ``$OBS_WIZARD_CRD_DIR`` when given (the operator's explicit choice); the
live cluster when kubectl has a current context that answers (the CRDs it really serves); the
pinned kube-prometheus-stack chart when it is at hand (it carries the Prometheus Operator CRDs);
the pinned upstream files, downloaded once into the per-user cache and sha256-checked. A kind
none of them has is skipped with the reason each source gave.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.validate import tools, upstream
from wizard.validate.crd_convert import load_crd_schemas, schemas_from_documents

KUBECTL_TIMEOUT_ENV = "OBS_WIZARD_KUBECTL_TIMEOUT"
NO_CLUSTER_ENV = "OBS_WIZARD_NO_CLUSTER"

KindKey = tuple[str, str]  # (apiVersion, kind)


@dataclass
class CrdSchemas:
    schemas: dict[KindKey, dict[str, Any]] = field(default_factory=dict)
    origin: dict[KindKey, str] = field(default_factory=dict)  # kind -> where its schema came from
    notes: list[str] = field(default_factory=list)  # why a source gave nothing

    def take(self, found: dict[KindKey, dict[str, Any]], wanted: set[KindKey], label: str) -> None:
        for kind_key in sorted(wanted - self.schemas.keys()):
            if kind_key in found:
                self.schemas[kind_key] = found[kind_key]
                self.origin[kind_key] = label

    def source_line(self) -> str:
        """``CRDs: HelmRelease, Kustomization from --crd-dir /x; PrometheusRule from ...``."""
        by_label: dict[str, list[str]] = {}
        for kind_key, label in self.origin.items():
            by_label.setdefault(label, []).append(kind_key[1])
        return "CRDs: " + "; ".join(f"{', '.join(sorted(kinds))} from {label}" for label, kinds in by_label.items())


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def resolve(wanted: set[KindKey], crd_dir: Path | None, chart_versions: dict[str, Any]) -> CrdSchemas:
    """``chart_versions``: OCIRepository name -> its ``charts.OciRef`` as on disk (or a bare version string)."""
    result = CrdSchemas()
    if crd_dir is not None:
        result.take(load_crd_schemas(str(crd_dir)), wanted, f"--crd-dir {crd_dir}")
    missing = wanted - result.schemas.keys()
    pinned = {k: upstream.CRDS[(_group(k[0]), k[1])] for k in missing if (_group(k[0]), k[1]) in upstream.CRDS}
    if pinned:
        docs, label = cluster_crds(sorted({plural + "." + _group(k[0]) for k, (plural, _) in pinned.items()}), result.notes)
        if docs:
            result.take(schemas_from_documents(docs), wanted, label)
    missing = wanted - result.schemas.keys()
    if missing:
        for chart_dir, label in _kps_chart(chart_versions, result.notes):
            result.take(load_crd_schemas(str(chart_dir)), wanted, label)
    missing = wanted - result.schemas.keys()
    files = sorted({pinned[k][1] for k in missing if k in pinned}, key=lambda p: p.name)
    if files:
        try:
            root = upstream.fetch(files)
        except upstream.FetchError as exc:
            result.notes.append(f"download: {exc}")
        else:
            result.take(load_crd_schemas(str(root / "crds")), wanted, f"the pinned upstream release files (sha256-checked, cached in {root / 'crds'})")
    return result


def _timeout() -> float:
    try:
        return max(0.5, float(os.environ.get(KUBECTL_TIMEOUT_ENV, "5")))
    except ValueError:
        return 5.0


def cluster_crds(names: list[str], notes: list[str]) -> tuple[list[dict[str, Any]], str]:
    """The CRDs ``names`` as the cluster of kubectl's current context serves them (a note when it cannot)."""
    if os.environ.get(NO_CLUSTER_ENV, "") not in ("", "0", "false"):
        notes.append(f"live cluster: not asked ({NO_CLUSTER_ENV}=1)")
        return [], ""
    kubectl = tools.find("kubectl")
    if kubectl is None:
        notes.append("live cluster: kubectl not found")
        return [], ""
    try:
        context = subprocess.run([kubectl, "config", "current-context"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        notes.append("live cluster: `kubectl config current-context` did not answer")
        return [], ""
    name = context.stdout.strip()
    if context.returncode != 0 or not name:
        notes.append("live cluster: kubectl has no current context")
        return [], ""
    timeout = _timeout()

    def get(crd: str) -> tuple[str, dict[str, Any] | None, str]:
        try:
            proc = subprocess.run([kubectl, "get", "--raw", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}",
                                   f"--request-timeout={timeout:g}s"], capture_output=True, text=True, timeout=timeout + 5)
        except subprocess.TimeoutExpired:
            return crd, None, f"did not answer within {timeout:g}s"
        except OSError as exc:
            return crd, None, f"kubectl could not run ({exc.strerror})"
        if proc.returncode != 0:
            lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
            return crd, None, (lines[-1] if lines else f"kubectl exit code {proc.returncode}")
        try:
            return crd, json.loads(proc.stdout), ""
        except ValueError:
            return crd, None, "the answer was not JSON"

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(get, names))
    docs = [doc for _, doc, _ in answers if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"]
    problems = [f"{crd}: {why}" for crd, doc, why in answers if doc is None]
    if problems and not docs:
        notes.append(f"live cluster (context {name}): {problems[0]}")
    elif problems:
        notes.append(f"live cluster (context {name}) does not serve " + ", ".join(p.split(":", 1)[0] for p in problems))
    return docs, f"the live cluster (kubectl context {name})"


def _kps_chart(chart_versions: dict[str, Any], notes: list[str]) -> list[tuple[Path, str]]:
    """The CRD folders of the kube-prometheus-stack chart at the version on disk (pulled when not at hand)."""
    from wizard.render import charts

    refs = [ref for ref in chart_versions.values() if isinstance(ref, charts.OciRef) and ref.name == "kube-prometheus-stack"]
    if not refs and chart_versions.get("kube-prometheus-stack"):  # a bare version: the chart source or cache only
        version = str(chart_versions["kube-prometheus-stack"])
        chart_dir = charts.locate("kube-prometheus-stack", version)
        if chart_dir is None:
            notes.append(f"kube-prometheus-stack {version} chart: not at hand")
            return []
        located = charts.Located(chart_dir, version, str(chart_dir))
    elif refs:
        try:
            located = charts.find(refs[0])
        except charts.ChartUnavailable as exc:  # ChartRefused too: the chart-values and chart-render checks fail on it
            notes.append(f"kube-prometheus-stack chart: {exc}")
            return []
    else:
        return []
    folders = sorted({path.parent for path in charts.crd_files(located.chart_dir)})
    return [(folder, f"the kube-prometheus-stack {located.version} chart ({located.source})") for folder in folders]
