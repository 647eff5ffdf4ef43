"""Every key path set under a HelmRelease's ``values`` must exist in that chart version.

Helm silently ignores a value the chart does not read (a cache switch under the wrong key is the
classic Loki trap), so each path is looked up in the chart's default values.yaml (and, for a
subchart such as kube-prometheus-stack's grafana, in the subchart's). A chart with a
values.schema.json (Loki) is also validated against it. A map whose chart default is empty (``{}``:
labels, annotations, selectors, config blocks) is free-form by the chart's own declaration; any
other free-form map is listed below with its reason; nothing else is exempt.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from wizard import tools, yamlio
from wizard.validate.extract import documents
from wizard.validate.findings import Finding, Report

#: chart -> {value path prefix: why its content is not in the chart's defaults}
FREE_FORM: dict[str, dict[str, str]] = {
    "kube-prometheus-stack": {
        "kubeEtcd.service.selector": "a label selector, commented out in the chart's defaults",
        "grafana.grafana.ini": "Grafana's grafana.ini, any section and key",
    },
    "loki": {
        "loki.limits_config": "Loki's limits_config, passed through; the chart sets only some keys",
        "monitoring.dashboards.loki-bloom-build": "a per-dashboard switch the chart reads with dig, not listed in values.yaml",
        "monitoring.dashboards.loki-bloom-gateway": "a per-dashboard switch the chart reads with dig, not listed in values.yaml",
        "monitoring.dashboards.loki-thanos-object-storage": "a per-dashboard switch the chart reads with dig, not listed in values.yaml",
    },
    "alloy": {},
}


@lru_cache(maxsize=16)
def _load_yaml(path: str) -> Any:
    return yamlio.load(Path(path).read_text(encoding="utf-8"))


def _chart_dir(charts_dir: Path, chart: str, version: str) -> Path | None:
    candidate = charts_dir / f"{chart}-{version}"
    return candidate if (candidate / "values.yaml").is_file() else None


def chart_defaults(charts_dir: Path, chart: str, version: str) -> dict[str, Any] | None:
    """The default values of ``chart`` ``version`` in ``charts_dir``, or None when they are not there."""
    chart_dir = _chart_dir(charts_dir, chart, version)
    return (_load_yaml(str(chart_dir / "values.yaml")) or {}) if chart_dir else None


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
    report = Report(checks_run=["chart-values"])
    if charts_dir is None:
        report.add(Finding("error" if tools.strict() else "skipped", "chart-values",
                           "no chart defaults directory: HelmRelease values were not checked; pass --charts-dir DIR"))
        return report
    versions = {}
    for _, doc in documents(files, "OCIRepository"):
        versions[(doc.get("metadata") or {}).get("name")] = str(((doc.get("spec") or {}).get("ref") or {}).get("tag", ""))
    for path, doc in documents(files, "HelmRelease"):
        name = (doc.get("metadata") or {}).get("name", "")
        version = versions.get(name, "")
        label = f"HelmRelease/{name}"
        chart_dir = _chart_dir(charts_dir, name, version)
        if chart_dir is None:
            report.add(Finding("error" if tools.strict() else "skipped", "chart-values",
                               f"no defaults for chart {name} {version} in {charts_dir}; its values were not checked", file=path, document=label))
            continue
        values = (doc.get("spec") or {}).get("values") or {}
        defaults = _load_yaml(str(chart_dir / "values.yaml")) or {}
        subcharts = {key: _load_yaml(str(sub / "values.yaml")) or {} for key, sub in _subcharts(chart_dir, charts_dir).items()}
        for dotted in unknown_paths(values, defaults, subcharts, FREE_FORM.get(name, {})):
            report.add(Finding("error", "chart-values", f"not a value of chart {name} {version} (misspelled, or moved in this version)",
                               file=path, document=label, path=f"spec.values.{dotted}"))
        schema_file = chart_dir / "values.schema.json"
        if schema_file.is_file():
            report.extend(_schema_check(values, schema_file, path, label, name, version))
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
