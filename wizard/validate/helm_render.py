"""Render every HelmRelease as Flux's helm-controller would, in-process with the Helm SDK.

Each HelmRelease is rendered with its release name (``spec.releaseName``, else the
HelmRelease's name; with ``spec.targetNamespace`` helm-controller's ``<namespace>-<name>``), its
namespace (``spec.targetNamespace``, else the namespace the Flux Kustomization or the namespace
kustomization.yaml gives it), the chart its ``chartRef`` OCIRepository names as it is on disk (URL,
``ref.tag`` / ``ref.digest`` / ``ref.semver``, ``insecure``), and its ``spec.values`` after Flux
postBuild substitution. The chart comes from ``--charts-src DIR`` / ``$OBS_WIZARD_CHARTS_SRC``, else
the per-user cache, else it is pulled there from its OCI registry (``charts.find``); the report says
which version was rendered and where it came from.

Why ``helm-python-sdk`` (PyPI, Apache-2.0) and not ``helm-sdkpy`` (looked at 0.1.32): both wrap
Helm v4's Go SDK in a bundled shared library, so neither needs a helm binary. But helm-sdkpy
requires Python >= 3.12 (obs-wizard supports 3.11) and exposes only cluster actions (install,
upgrade, status... against a kube config, async): it has no offline render, no ``helm template``
equivalent. helm-python-sdk 0.2.2 installs on 3.11 and has exactly what is needed here:
``Chart.load`` / ``Chart.render(values, name=, namespace=, is_install=)`` offline (enforcing the
chart's values.schema.json, as Helm does), and ``pull`` for OCI references into the cache.

The SDK is imported only when a chart really has to be rendered: renders are cached in the user's
cache directory, keyed by a digest of the chart's files, the values, release name and namespace,
so an unchanged validation neither imports the SDK nor renders again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from wizard.base import yamlio
from wizard.render import charts
from wizard.render.extract import documents
from wizard.validate import tools
from wizard.validate.findings import Finding, Report

CHECK = "chart-render"
_CACHE_VERSION = "1"


@dataclass
class Release:
    """One HelmRelease as helm-controller sees it."""

    file: str
    name: str  # the HelmRelease's metadata.name
    release_name: str
    namespace: str
    chart: str
    version: str  # the ref's tag until the chart is found; then the version its Chart.yaml says
    url: str
    values: dict[str, Any]
    ref: charts.OciRef | None = None

    @property
    def label(self) -> str:
        return f"HelmRelease/{self.name}"


@dataclass
class Rendered:
    """The objects one release renders; ``missing`` lists subcharts left out (absent from the source)."""

    release: Release
    objects: list[dict[str, Any]] = field(default_factory=list)
    missing: list[charts.Subchart] = field(default_factory=list)


def sdk_available() -> bool:
    return importlib.util.find_spec("helm_python") is not None


def _namespaces(files: dict[str, str]) -> dict[str, str]:
    """Directory -> namespace Flux puts the objects in: Kustomization targetNamespace, else kustomization.yaml namespace."""
    found: dict[str, str] = {}
    for path, doc in documents(files, "Kustomization"):
        spec = doc.get("spec") or {}
        if str(doc.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io") and spec.get("targetNamespace"):
            found[str(spec.get("path", "")).removeprefix("./").rstrip("/")] = str(spec["targetNamespace"])
        elif str(doc.get("apiVersion", "")).startswith("kustomize.config.k8s.io") and doc.get("namespace"):
            found.setdefault(path.rsplit("/", 1)[0], str(doc["namespace"]))
    return found


def namespace_of(path: str, files: dict[str, str], doc: dict[str, Any] | None = None) -> str:
    """The namespace an object of ``path`` lands in (its own metadata.namespace, else Flux's, else "default")."""
    own = ((doc or {}).get("metadata") or {}).get("namespace")
    if own:
        return str(own)
    directories = _namespaces(files)
    directory = path.rsplit("/", 1)[0]
    while directory:
        if directory in directories:
            return directories[directory]
        if "/" not in directory:
            break
        directory = directory.rsplit("/", 1)[0]
    return "default"


def releases(files: dict[str, str]) -> tuple[list[Release], Report]:
    """Every HelmRelease in ``files`` (already substituted), with what its render needs."""
    report = Report()
    sources = {}
    for _, doc in documents(files, "OCIRepository"):
        sources[(doc.get("metadata") or {}).get("name")] = charts.oci_ref(doc)
    found = []
    for path, doc in documents(files, "HelmRelease"):
        meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
        name = str(meta.get("name", ""))
        ref = spec.get("chartRef") or {}
        if ref.get("kind") != "OCIRepository" or ref.get("name") not in sources:
            report.add(Finding("skipped", CHECK, "not rendered: its chartRef names no OCIRepository in the render", file=path,
                               document=f"HelmRelease/{name}", path="spec.chartRef"))
            continue
        oci = sources[ref["name"]]
        target = spec.get("targetNamespace")
        namespace = str(target or namespace_of(path, files, doc))
        release_name = str(spec.get("releaseName") or (f"{target}-{name}" if target else name))
        if spec.get("valuesFrom"):
            report.add(Finding("warning", CHECK, "spec.valuesFrom is not read by the render; only spec.values is checked",
                               file=path, document=f"HelmRelease/{name}", path="spec.valuesFrom"))
        found.append(Release(path, name, release_name, namespace, oci.name, oci.tag, oci.url, spec.get("values") or {}, oci))
    return found, report


def _chart_digest(chart_dir: Path) -> str:
    digest = hashlib.sha256()
    for root, dirs, names in os.walk(chart_dir):
        dirs.sort()
        for name in sorted(names):
            stat = os.stat(os.path.join(root, name))
            digest.update(f"{os.path.relpath(os.path.join(root, name), chart_dir)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cache_path(key: str) -> Path:
    return charts.cache_dir().parent / "renders" / f"{key}.json"


def _render_key(release: Release, chart_dir: Path, values: dict[str, Any]) -> str:
    payload = json.dumps([_CACHE_VERSION, str(chart_dir.resolve()), _chart_digest(chart_dir), release.release_name,
                          release.namespace, values], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


def _disable_missing(values: dict[str, Any], missing: list[charts.Subchart]) -> dict[str, Any]:
    """``values`` with each absent subchart's condition set to false, so the rest renders consistently."""
    values = json.loads(json.dumps(values))
    for sub in missing:
        if not sub.condition:
            continue
        node = values
        *parents, last = sub.condition.split(",")[0].strip().split(".")
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[last] = False
    return values


def _parse(manifests: dict[str, str]) -> list[dict[str, Any]]:
    objects = []
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml", ".tpl", ".json")) or not text.strip():
            continue
        for doc in yamlio.load_all(text):
            if isinstance(doc, dict) and doc.get("kind"):
                doc.setdefault("metadata", {})
                objects.append({**doc, "__template__": template})
    return objects


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Helm's Go loader logs notes (e.g. "found symbolic link in path") straight to file descriptor 2;
    its errors come back as exceptions, so the notes are dropped."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _render_with_sdk(chart_dir: Path, release: Release, values: dict[str, Any]) -> list[dict[str, Any]]:
    import helm_python as helm

    with _quiet_stderr():
        chart = helm.Chart.load(chart_dir)
    with chart:
        manifests = chart.render(values=values, name=release.release_name, namespace=release.namespace, is_install=True)
    return _parse(manifests)


def render_release(release: Release, chart_dir: Path) -> Rendered:
    """Render one release from ``chart_dir`` (cached). Raises helm_python.HelmError or yaml.YAMLError."""
    missing = [sub for sub in charts.missing_subcharts(chart_dir) if sub.name != "crds"]
    values = _disable_missing(release.values, missing) if missing else release.values
    path = _cache_path(_render_key(release, chart_dir, values))
    try:
        objects = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        objects = _render_with_sdk(chart_dir, release, values)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(objects), encoding="utf-8")
            tmp.rename(path)  # atomic on POSIX
        except OSError:
            pass
    for obj in objects:
        obj["metadata"].setdefault("namespace", release.namespace) if _namespaced(obj) else None
    return Rendered(release, objects, missing)


_CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Namespace", "PersistentVolume",
                   "StorageClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PriorityClass",
                   "APIService", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}


def _namespaced(obj: dict[str, Any]) -> bool:
    return obj.get("kind") not in _CLUSTER_SCOPED


def _strict_level() -> str:
    return "error" if tools.strict() else "skipped"


def render_all(files: dict[str, str], charts_src: Path | None) -> tuple[list[Rendered], Report]:
    """Render every HelmRelease in ``files`` (substituted). Findings name the release and the remedy."""
    report = Report(checks_run=[CHECK])
    found, problems = releases(files)
    report.extend(problems)
    if not found:
        return [], report
    if not sdk_available():
        report.add(Finding(_strict_level(), CHECK, "the Helm SDK is not installed, so the charts were not rendered and the "
                           "wiring checks did not run", remedy=charts.HELM_EXTRA))
        return [], report
    rendered = []
    used: list[str] = []
    for release in found:
        oci = release.ref or charts.OciRef(release.url, release.version)
        try:
            located = charts.find(oci, charts_src)
        except charts.ChartRefused as exc:
            report.add(Finding("error", CHECK, f"not rendered: {exc}", file=release.file, document=release.label,
                               remedy=f"set the OCIRepository's ref to what {oci.url} serves"))
            continue
        except charts.ChartUnavailable as exc:
            report.add(Finding(_strict_level(), CHECK, f"not rendered: {exc}", file=release.file, document=release.label,
                               remedy=charts.fetch_remedy(oci)))
            continue
        release.version, chart_dir = located.version, located.chart_dir
        used.append(f"{release.chart} {located.version} from {located.source}")
        try:
            result = render_release(release, chart_dir)
        except Exception as exc:  # noqa: BLE001 - helm_python.HelmError (render, values, schema) or bad YAML out
            report.add(Finding("error", CHECK, f"{release.chart} {release.version} refused to render: {_one_line(exc)}",
                               file=release.file, document=release.label, path="spec.values"))
            continue
        if result.missing:
            names = ", ".join(f"{sub.name} {sub.version}" for sub in result.missing)
            report.add(Finding("skipped", CHECK, f"rendered without subcharts {names}: not unpacked in {chart_dir}/charts, "
                               "so their objects were not rendered or checked", file=release.file, document=release.label,
                               remedy=f"point --charts-src at a complete chart (helm pull {release.url} --version "
                                      f"{release.version} --untar)"))
        rendered.append(result)
    if used:
        report.sources[CHECK] = "charts: " + "; ".join(used)
    return rendered, report


def _one_line(exc: Exception) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())[:600]
