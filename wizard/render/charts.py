"""Where the pinned charts come from: a chart-source directory or the per-user cache.

A chart source is a directory of unpacked charts laid out as ``<chart>-<version>/`` (each with
its ``Chart.yaml``, templates, values and, for a packaged chart, its subcharts under ``charts/``):
``--charts-src DIR`` / ``$OBS_WIZARD_CHARTS_SRC``, or ``charts/`` in the user's cache, which
:func:`pull` fills from the chart's OCI URL (needs the ``helm`` extra and the network).

This module reads files only; it never imports the Helm SDK unless :func:`pull` is called. The
``report`` checks use it too: :func:`crd_files` lists the CRDs a chart carries (the
kube-prometheus-stack chart has the Prometheus Operator's), :func:`values_file` its defaults.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from wizard.base import yamlio

CHARTS_SRC_ENV = "OBS_WIZARD_CHARTS_SRC"
HELM_EXTRA = "pip install 'obs-wizard[helm]'"


class ChartUnavailable(Exception):
    """The chart is neither in a chart source nor in the cache, and could not be pulled."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "obs-wizard" / "charts"


def source_dir(given: Path | None = None) -> Path | None:
    """The chart-source directory from ``--charts-src`` or ``$OBS_WIZARD_CHARTS_SRC`` (None: unset)."""
    if given is not None:
        return given
    env = os.environ.get(CHARTS_SRC_ENV)
    return Path(env) if env else None


@lru_cache(maxsize=64)
def _chart_yaml(path: str, mtime_ns: int) -> dict[str, Any]:
    return yamlio.load(Path(path).read_text(encoding="utf-8")) or {}


def chart_metadata(chart_dir: Path) -> dict[str, Any]:
    """The chart's Chart.yaml ({} when it has none)."""
    path = chart_dir / "Chart.yaml"
    try:
        return _chart_yaml(str(path), path.stat().st_mtime_ns)
    except OSError:
        return {}


def _matches(chart_dir: Path, name: str, version: str) -> bool:
    meta = chart_metadata(chart_dir)
    return meta.get("name") == name and str(meta.get("version")) == version


def locate(name: str, version: str, charts_src: Path | None = None) -> Path | None:
    """The unpacked chart ``name`` at ``version``: first in ``charts_src``, then in the cache."""
    for base in (source_dir(charts_src), cache_dir()):
        if base is not None and _matches(base / f"{name}-{version}", name, version):
            return base / f"{name}-{version}"
    return None


@dataclass(frozen=True)
class Subchart:
    name: str
    version: str
    condition: str | None  # e.g. "grafana.enabled"
    alias: str | None = None

    @property
    def key(self) -> str:
        """The values key this subchart reads (its alias, else its name)."""
        return self.alias or self.name


def subcharts(chart_dir: Path) -> list[Subchart]:
    """The dependencies the chart declares in Chart.yaml."""
    found = []
    for dep in chart_metadata(chart_dir).get("dependencies") or []:
        found.append(Subchart(str(dep.get("name", "")), str(dep.get("version", "")), dep.get("condition"), dep.get("alias")))
    return found


def missing_subcharts(chart_dir: Path) -> list[Subchart]:
    """Declared subcharts that are not unpacked under ``charts/`` (an unbuilt chart source)."""
    present = set()
    charts = chart_dir / "charts"
    if charts.is_dir():
        for child in charts.iterdir():
            if child.is_dir():
                present.add(chart_metadata(child).get("name"))
            elif child.name.endswith(".tgz"):
                present.add(child.name.rsplit("-", 1)[0])
    return [sub for sub in subcharts(chart_dir) if sub.name not in present]


def values_file(chart_dir: Path) -> Path:
    """The chart's default values.yaml."""
    return chart_dir / "values.yaml"


def crd_files(chart_dir: Path) -> list[Path]:
    """The CRD YAML files the chart installs: ``crds/`` of the chart and of each unpacked subchart.

    For kube-prometheus-stack these are the Prometheus Operator CRDs (``charts/crds/crds/``).
    """
    found: list[Path] = []
    pending = [chart_dir]
    while pending:
        chart = pending.pop()
        crds = chart / "crds"
        if crds.is_dir():
            found.extend(sorted(p for p in crds.rglob("*") if p.suffix in (".yaml", ".yml", ".json")))
        charts = chart / "charts"
        if charts.is_dir():
            pending.extend(sorted(child for child in charts.iterdir() if child.is_dir()))
    return found


def pull(name: str, version: str, url: str) -> Path:
    """Pull ``url`` (``oci://...``) at ``version`` into the cache and return the unpacked chart.

    Raises ChartUnavailable with one line naming the chart, the URL and the remedy.
    """
    try:
        import helm_python as helm
    except ImportError:
        raise ChartUnavailable(f"cannot pull {name} {version}: the Helm SDK is not installed ({HELM_EXTRA})") from None
    if not url.startswith("oci://"):
        raise ChartUnavailable(f"cannot pull {name} {version} from {url!r}: only oci:// chart URLs are supported")
    target = cache_dir() / f"{name}-{version}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-{version}.", dir=target.parent))
    except OSError as exc:
        raise ChartUnavailable(f"cannot pull {name} {version}: the cache {target.parent} is not writable ({exc.strerror})") from None
    try:
        helm.pull(url, version=version, destination=staging, untar=True, untar_dir=staging)
        unpacked = staging / name
        if not _matches(unpacked, name, version):
            raise ChartUnavailable(f"{url}:{version} did not unpack as chart {name} {version}")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(unpacked, target)
        return target
    except helm.HelmError as exc:
        detail = " ".join(str(exc).split())
        raise ChartUnavailable(f"cannot pull {name} {version} from {url} ({detail[:200]})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
