"""Every key path set under a HelmRelease's ``values`` must exist in that chart version: the one its
OCIRepository names on disk (a Renovate bump included; ``find_chart_for``), whose defaults come from
--charts-dir, the chart source or cache, the pinned upstream files, or the chart pulled from its registry.

Helm silently ignores a value the chart does not read (a cache switch under the wrong key is the
classic Loki trap), so each path is looked up in the chart's default values.yaml (and, for a
subchart such as kube-prometheus-stack's grafana, in the subchart's). A chart with a
values.schema.json (Loki) is also validated against it. A map whose chart default is empty (``{}``:
labels, annotations, selectors, config blocks) is free-form by the chart's own declaration; any
other free-form map is listed below with its reason; nothing else is exempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from wizard.base import yamlio
from wizard.render.extract import documents
from wizard.validate import tools, upstream
from wizard.validate.findings import Finding, Report
from wizard.validate.validcache import ValidCache
from wizard.validate.validcache import key as cache_key

#: chart -> {value path prefix: why its content is not in the chart's defaults}
FREE_FORM: dict[str, dict[str, str]] = {
    "kube-prometheus-stack": {
        "kubeEtcd.service.selector": "a label selector, commented out in the chart's defaults",
        "grafana.grafana.ini": "Grafana's grafana.ini, any section and key",
        # obs-wizard sizes every container (issue 21); these subcharts' defaults are not always beside the chart.
        "kube-state-metrics.resources": "a Kubernetes ResourceRequirements (kube-state-metrics 8.4.0: resources: {})",
        "prometheus-node-exporter.resources": "a Kubernetes ResourceRequirements (prometheus-node-exporter 4.56.1: resources: {})",
        "grafana.persistence.storageClassName": "the volume's StorageClass, commented out in the grafana chart's defaults",
    },
    "loki": {
        "loki.limits_config": "Loki's limits_config, passed through; the chart sets only some keys",
        "monitoring.dashboards.loki-bloom-build": "a per-dashboard switch the chart reads with dig, not listed in values.yaml",
        "monitoring.dashboards.loki-bloom-gateway": "a per-dashboard switch the chart reads with dig, not listed in values.yaml",
        "monitoring.dashboards.loki-thanos-object-storage": "a per-dashboard switch the chart reads with dig, not listed in values.yaml",
    },
    "alloy": {
        "configReloader.resources": "a Kubernetes ResourceRequirements; the chart's default sets only requests",
    },
}


@lru_cache(maxsize=16)
def _load_yaml(path: str) -> Any:
    return yamlio.load(Path(path).read_text(encoding="utf-8"))


def _chart_dir(charts_dir: Path, chart: str, version: str) -> Path | None:
    candidate = charts_dir / f"{chart}-{version}"
    return candidate if (candidate / "values.yaml").is_file() else None


_VALUES_CHECK_VERSION = 1  # bump when unknown_paths or the schema check change


@dataclass
class ChartData:
    """A chart's defaults as found: its values.yaml, its values.schema.json, its subcharts' defaults."""

    chart_dir: Path
    subchart_dirs: dict[str, Path]  # values key -> folder with the subchart's values.yaml
    source: str  # for the report: where these defaults came from
    version: str = ""  # the version these defaults are (the chart's Chart.yaml, for a digest or semver ref)

    def stamp(self) -> list[Any]:
        """What the result depends on: each file's path, size and mtime (cheap; no parsing)."""
        files = [self.chart_dir / "values.yaml", self.chart_dir / "values.schema.json",
                 *(sub / "values.yaml" for sub in self.subchart_dirs.values())]
        stamp: list[Any] = [_VALUES_CHECK_VERSION, sorted(FREE_FORM.get(self.chart_dir.name.split("@")[0].rsplit("-", 1)[0], {}))]
        for path in files:
            try:
                stat = path.stat()
                stamp.append([str(path), stat.st_size, stat.st_mtime_ns])
            except OSError:
                stamp.append([str(path), None])
        return stamp

    @property
    def values(self) -> dict[str, Any]:
        return _load_yaml(str(self.chart_dir / "values.yaml")) or {}

    @property
    def subcharts(self) -> dict[str, dict[str, Any]]:
        return {key: _load_yaml(str(sub / "values.yaml")) or {} for key, sub in self.subchart_dirs.items()}


CHARTS_REMEDY = ("allow the one-time download of the pinned chart defaults, or pass --charts-dir DIR "
                 "(with <chart>-<version>/values.yaml)")


def find_chart(chart: str, version: str, charts_dir: Path | None, notes: list[str] | None = None) -> ChartData | None:
    """The defaults of ``chart`` ``version``: from --charts-dir when given, else the pinned chart at hand
    (the chart cache or --charts-src), else the pinned upstream files (downloaded once, sha256-checked)."""
    notes = [] if notes is None else notes
    if charts_dir is not None:
        found = _chart_dir(charts_dir, chart, version)
        if found is not None:
            return ChartData(found, _subcharts(found, charts_dir), f"--charts-dir {charts_dir}", version)
        notes.append(f"not in {charts_dir}")
    at_hand = _chart_at_hand(chart, version)
    if at_hand is not None:
        return at_hand
    pinned = upstream.CHARTS.get((chart, version))
    if pinned is None:
        notes.append(f"{chart} {version} is not a version obs-wizard pins, so there is nothing to download")
        return None
    try:
        root = upstream.fetch(pinned) / "charts"
        chart_dir = root / f"{chart}-{version}"
        for dep in (_load_yaml(str(chart_dir / "Chart.yaml")) or {}).get("dependencies") or []:
            sub = upstream.CHARTS.get((dep.get("name", ""), str(dep.get("version", ""))))
            if sub is not None:
                upstream.fetch(sub)
    except upstream.FetchError as exc:
        notes.append(f"download: {exc}")
        return None
    return ChartData(chart_dir, _subcharts(chart_dir, root), f"the pinned upstream release files (sha256-checked, cached in {root})", version)


class Refused(Exception):
    """The registry does not serve what the OCIRepository pins: a failure, not a skip."""


def find_chart_for(ref: Any, charts_dir: Path | None, notes: list[str]) -> ChartData | None:
    """The defaults of the chart an OCIRepository (``charts.OciRef``) names as it is on disk, whatever its
    version: --charts-dir, the chart source or cache, the pinned upstream files (for a version obs-wizard
    pins), else the chart pulled from its registry into the cache. Raises Refused."""
    from wizard.render import charts

    tag = ref.pinned_tag
    if tag:
        if charts_dir is not None:
            found = _chart_dir(charts_dir, ref.name, tag)
            if found is not None:
                return ChartData(found, _subcharts(found, charts_dir), f"--charts-dir {charts_dir}", tag)
            notes.append(f"not in {charts_dir}")
        try:
            return _located(charts.find(ref, pull=False))
        except charts.ChartUnavailable:
            pass
        if (ref.name, tag) in upstream.CHARTS:
            found = find_chart(ref.name, tag, None, notes)
            if found is not None:
                return found
    try:
        return _located(charts.find(ref))
    except charts.ChartRefused as exc:
        raise Refused(str(exc)) from None
    except charts.ChartUnavailable as exc:
        notes.append(str(exc))
        return None


def _located(located: Any) -> ChartData:
    """ChartData for a chart found whole (``charts.Located``: a chart source, the cache, a pull)."""
    data = _whole_chart(located.chart_dir, f"the {located.chart_dir.name.split('@')[0].rsplit('-', 1)[0]} {located.version} chart ({located.source})")
    data.version = located.version
    return data


def _chart_at_hand(chart: str, version: str) -> ChartData | None:
    """The whole pinned chart from the chart cache or --charts-src, with its unpacked subcharts."""
    try:
        from wizard.render import charts
    except ImportError:  # the chart cache arrives with the Helm render
        return None
    chart_dir = charts.locate(chart, version)
    if chart_dir is None or not (chart_dir / "values.yaml").is_file():
        return None
    data = _whole_chart(chart_dir, f"the {chart} {version} chart ({chart_dir})")
    data.version = version
    return data


def _whole_chart(chart_dir: Path, source: str) -> ChartData:
    from wizard.render import charts

    subs: dict[str, Path] = {}
    for sub in charts.subcharts(chart_dir):
        inside = chart_dir / "charts" / sub.name
        if (inside / "values.yaml").is_file():
            subs[sub.key] = inside
            continue
        elsewhere = find_chart(sub.name, sub.version, None) if (sub.name, sub.version) in upstream.CHARTS else None
        if elsewhere is not None:
            subs[sub.key] = elsewhere.chart_dir
    return ChartData(chart_dir, subs, source)


def _subcharts(chart_dir: Path, charts_dir: Path) -> dict[str, Path]:
    """Subchart defaults (by values key) that sit beside the chart, e.g. kps's grafana."""
    found = {}
    meta = _load_yaml(str(chart_dir / "Chart.yaml")) if (chart_dir / "Chart.yaml").is_file() else {}
    for dep in (meta or {}).get("dependencies") or []:
        sub = _chart_dir(charts_dir, dep.get("name", ""), str(dep.get("version", "")))
        if sub is not None:
            found[dep.get("alias") or dep["name"]] = sub
    return found


_ABSENT = object()


def _lookup(defaults: Any, path: list[str]) -> Any:
    """The default value at ``path``, or _ABSENT."""
    node = defaults
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _ABSENT
        node = node[key]
    return node


def unknown_paths(values: dict[str, Any], defaults: dict[str, Any], subcharts: dict[str, dict[str, Any]],
                  free_form: dict[str, str]) -> list[str]:
    """Dotted paths in ``values`` that neither the chart nor its subcharts define."""
    missing: list[str] = []

    def walk(node: dict[str, Any], path: list[str]) -> None:
        for key, value in node.items():
            here = [*path, str(key)]
            dotted = ".".join(here)
            if any(dotted == p or dotted.startswith(p + ".") for p in free_form):
                continue
            default = _lookup(defaults, here)
            if default is _ABSENT and here[0] in subcharts:
                default = _lookup(subcharts[here[0]], here[1:])
            if default is _ABSENT:
                missing.append(dotted)
                continue
            if isinstance(value, dict) and value and default != {}:  # an empty default map is open by design
                walk(value, here)

    walk(values, [])
    return missing


def check_chart_values(files: dict[str, str], charts_dir: Path | None) -> Report:
    from wizard.render import charts

    report = Report(checks_run=["chart-values"])
    refs = {(doc.get("metadata") or {}).get("name"): charts.oci_ref(doc) for _, doc in documents(files, "OCIRepository")}
    used: dict[str, list[str]] = {}  # source -> charts
    cache = ValidCache()
    for path, doc in documents(files, "HelmRelease"):
        name = (doc.get("metadata") or {}).get("name", "")
        chart_ref = (doc.get("spec") or {}).get("chartRef") or {}
        ref = refs.get(chart_ref.get("name") if isinstance(chart_ref, dict) else None) or refs.get(name)
        label = f"HelmRelease/{name}"
        if ref is None:
            report.add(Finding("error" if tools.strict() else "skipped", "chart-values",
                               "its chartRef names no OCIRepository in the render; its values were not checked",
                               file=path, document=label, path="spec.chartRef"))
            continue
        chart, notes = ref.name, []
        try:
            found = find_chart_for(ref, charts_dir, notes)
        except Refused as exc:
            report.add(Finding("error", "chart-values", f"{exc}; its values were not checked",
                               file=path, document=label, remedy=f"set the OCIRepository's ref to what {ref.url} serves"))
            continue
        if found is None:
            pinned = (chart, ref.pinned_tag) in upstream.CHARTS
            remedy = (CHARTS_REMEDY + ", or " if pinned else "") + charts.fetch_remedy(ref) + (
                "" if pinned else ", or pass --charts-dir DIR (with <chart>-<version>/values.yaml)")
            report.add(Finding("error" if tools.strict() else "skipped", "chart-values",
                               f"no defaults for chart {ref.label} ({'; '.join(notes)}); its values were not checked",
                               file=path, document=label, remedy=remedy))
            continue
        version = found.version or ref.tag
        used.setdefault(found.source, []).append(f"{chart} {version}")
        values = (doc.get("spec") or {}).get("values") or {}
        entry = cache_key("chart-values", found.stamp(), values)
        if entry in cache:  # these values were found valid against these very files before
            continue
        before = len(report.findings)
        for dotted in unknown_paths(values, found.values, found.subcharts, FREE_FORM.get(chart, {})):
            report.add(Finding("error", "chart-values", f"not a value of chart {chart} {version} (misspelled, or moved in this version)",
                               file=path, document=label, path=f"spec.values.{dotted}"))
        schema_file = found.chart_dir / "values.schema.json"
        if schema_file.is_file():
            report.extend(_schema_check(values, schema_file, path, label, chart, version))
        if len(report.findings) == before:
            cache.add(entry)
    cache.save()
    if used:
        report.sources["chart-values"] = "chart defaults: " + "; ".join(f"{', '.join(c)} from {s}" for s, c in used.items())
    return report


def _schema_check(values: dict[str, Any], schema_file: Path, path: str, label: str, chart: str, version: str) -> Report:
    report = Report()
    validator = _schema_validator(str(schema_file))
    for error in sorted(validator.iter_errors(values), key=lambda e: list(map(str, e.absolute_path))):
        where = ".".join(str(p) for p in error.absolute_path)
        report.add(Finding("error", "chart-values", f"{chart} {version} values.schema.json: {error.message}",
                           file=path, document=label, path=f"spec.values.{where}"))
    return report


@lru_cache(maxsize=4)
def _schema_validator(schema_file: str):
    import json

    import jsonschema

    schema = json.loads(Path(schema_file).read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)
