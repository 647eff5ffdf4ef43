"""Where the charts come from: a chart-source directory, the per-user cache, or the chart's OCI registry.

A chart source is a directory of unpacked charts laid out as ``<chart>-<version>/`` (each with
its ``Chart.yaml``, templates, values and, for a packaged chart, its subcharts under ``charts/``):
``--charts-src DIR`` / ``$OBS_WIZARD_CHARTS_SRC``, or ``charts/`` in the user's cache. :func:`find`
takes an OCIRepository as it is on disk (:class:`OciRef`: url, ``ref.tag`` / ``ref.digest`` /
``ref.semver``, ``insecure``) and gives the chart at that version: from the chart source, else from
the cache (``<chart>-<version>@sha256-<digest>/``, one folder per version and manifest digest), else
pulled through the Helm SDK's OCI client into the cache (needs the ``helm`` extra and the registry).
A ``ref.digest`` the registry does not serve is refused (:class:`ChartRefused`), never cached.

This module reads files only; it never imports the Helm SDK unless a pull is needed. The
``report`` checks use it too: :func:`crd_files` lists the CRDs a chart carries (the
kube-prometheus-stack chart has the Prometheus Operator's), :func:`values_file` its defaults.
"""

from __future__ import annotations

import glob
import os
import re
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


NO_PULL_ENV = "OBS_WIZARD_NO_PULL"
OFFLINE_ENV = "OBS_WIZARD_OFFLINE"
_META = ".obs-wizard-pull.json"  # beside each pulled chart folder: which URL and tag gave that digest
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")  # the OCI distribution spec's tag grammar


class ChartRefused(ChartUnavailable):
    """The registry does not serve what the OCIRepository pins (a digest mismatch, a tag it does not have):
    Flux could not fetch it either, so this is a failure, not a skip."""


@dataclass(frozen=True)
class OciRef:
    """An OCIRepository as it is on disk: what Flux's source-controller will fetch."""

    url: str
    tag: str = ""
    digest: str = ""
    semver: str = ""
    insecure: bool = False  # a plain-HTTP registry (spec.insecure)

    @property
    def name(self) -> str:
        """The chart's name: the last segment of the URL (as Helm names a pulled OCI chart)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def pinned_tag(self) -> str:
        """The version a plain ``ref.tag`` names (the digest and semver, which Flux prefers, unset)."""
        return self.tag if not self.digest and not self.semver else ""

    @property
    def label(self) -> str:
        """``alloy 1.12.0``, ``alloy @sha256:abcd…``, ``alloy (semver ~1.11)``: the chart as the messages name it."""
        if self.digest:
            return f"{self.name} {self.tag + ' ' if self.tag else ''}@{_short(self.digest)}"
        return f"{self.name} {self.tag}" if self.tag and not self.semver else f"{self.name} (semver {self.semver})"

    def describe(self) -> str:
        """``oci://host/chart:1.12.0``, ``...@sha256:abcd...``, ``... (semver >=1.0.0)``."""
        text = self.url + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")
        return text + (f" (semver {self.semver})" if self.semver else "")


def oci_ref(doc: dict[str, Any]) -> OciRef:
    """The OciRef of one OCIRepository document (fields Flux reads; anything else is ignored). Without
    ``ref.tag``, ``ref.digest`` and ``ref.semver`` Flux fetches the ``latest`` tag, and so does this."""
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    ref = spec.get("ref") if isinstance(spec.get("ref"), dict) else {}
    tag, digest, semver = (str(ref.get(key) or "") for key in ("tag", "digest", "semver"))
    return OciRef(str(spec.get("url") or ""), tag or ("" if digest or semver else "latest"), digest, semver,
                  spec.get("insecure") is True)


@dataclass(frozen=True)
class Located:
    """A chart found for an OciRef: its folder, the version it is (its Chart.yaml), and where it came from."""

    chart_dir: Path
    version: str
    source: str  # for the report, e.g. "oci://...:1.12.0, sha256:2d10d918b869…: pulled now into the cache ~/.cache/..."
    digest: str = ""
    pulled: bool = False  # pulled from the registry by this call


def fetch_remedy(ref: OciRef) -> str:
    """What makes a chart that is not at hand available: the pre-fetch, or the directories."""
    host = ref.url.removeprefix("oci://").split("/", 1)[0]
    version = ref.pinned_tag or ref.tag or "<version>"
    return (f"run `obs-wizard fetch-charts --repo DIR` where {host} is reachable (it fills {cache_dir()}), or pass "
            f"--charts-src DIR with {ref.name}-{version}/ unpacked (helm pull {ref.url} --version {version} --untar)")


def _offline_reason() -> str | None:
    if os.environ.get(NO_PULL_ENV, "") not in ("", "0", "false"):
        return f"pulling is off ({NO_PULL_ENV}=1)"
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0", "false"):
        return f"pulling is off ({OFFLINE_ENV}=1)"
    return None


def _cached_by_digest(name: str, digest: str) -> Path | None:
    base = cache_dir()
    try:
        candidates = sorted(base.glob(f"{glob.escape(name)}-*@sha256-{digest.removeprefix('sha256:')}"))
    except OSError:
        return None
    for candidate in candidates:
        if candidate.is_dir() and chart_metadata(candidate).get("name") == name:
            return candidate
    return None


def _cached_pulls(ref: OciRef) -> list[tuple[int, Path, dict[str, Any]]]:
    """(when, folder, record) of every chart pulled from ``ref.url`` into the cache."""
    import json

    found: list[tuple[int, Path, dict[str, Any]]] = []
    try:
        records = list(cache_dir().glob(f"{glob.escape(ref.name)}-*@sha256-*{_META}"))
    except OSError:
        return []
    for record_path in records:
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            folder = Path(str(record_path)[: -len(_META)])
            mtime = record_path.stat().st_mtime_ns
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("url") == ref.url and folder.is_dir():
            found.append((mtime, folder, record))
    return found


def _cached_by_tag(ref: OciRef) -> Located | None:
    """The newest cached pull of ``ref.url`` at ``ref.tag``."""
    pulls = [(when, folder, record) for when, folder, record in _cached_pulls(ref) if record.get("tag") == ref.tag]
    if not pulls:
        return None
    _, folder, record = max(pulls, key=lambda item: item[0])
    digest = str(record.get("digest", ""))
    return Located(folder, str(record.get("version") or ref.tag),
                   f"{folder}: the cache, pulled from {ref.url}:{ref.tag}, {_short(digest)}", digest)


def _cached_semver(ref: OciRef, why: str) -> Located | None:
    """Offline, for a ``ref.semver``: the newest version matching it among those pulled from ``ref.url`` before.

    The registry may hold a newer one; the source says so.
    """
    pulls = {str(record.get("version", "")): (folder, record) for _, folder, record in sorted(_cached_pulls(ref), key=lambda i: i[0])}
    try:
        version = pick_version(ref.semver, list(pulls))
    except ChartRefused:
        return None
    if version is None:
        return None
    folder, record = pulls[version]
    digest = str(record.get("digest", ""))
    return Located(folder, version, f"{folder}: the cache, the newest version matching semver {ref.semver} pulled from "
                                    f"{ref.url} before ({_short(digest)}); the registry was not asked ({why}) and may hold a newer one",
                   digest)


def _short(digest: str) -> str:
    return digest[:19] + "…" if len(digest) > 19 else digest


_FAILED: dict[tuple[str, str], str] = {}  # (cache, registry host) -> why it could not be reached, this run


def new_run() -> None:
    """Forget the registries found unreachable (one slow failure per registry and run, not one per chart)."""
    _FAILED.clear()


def find(ref: OciRef, charts_src: Path | None = None, *, pull: bool = True, explicit: bool = False) -> Located:
    """The chart ``ref`` names, as Flux would fetch it: from the chart source, the cache, or (``pull``) pulled.

    ``explicit`` (fetch-charts) pulls even when OBS_WIZARD_NO_PULL / OBS_WIZARD_OFFLINE keep validation from it.

    Raises ChartRefused when the registry does not serve what ``ref`` pins, ChartUnavailable (one line,
    true for this chart) when it is not at hand and cannot be pulled.
    """
    if not ref.url.startswith("oci://"):
        raise ChartUnavailable(f"{ref.url!r} is not an oci:// URL, so the chart cannot be fetched")
    if ref.digest and not _DIGEST.match(ref.digest):
        raise ChartRefused(f"ref.digest {ref.digest!r} of {ref.url} is not a sha256:<64 hex> digest")
    if ref.tag and not _TAG.match(ref.tag):
        raise ChartRefused(f"ref.tag {ref.tag[:80]!r} of {ref.url} is not an OCI tag")
    if ref.digest:
        cached = _cached_by_digest(ref.name, ref.digest)
        if cached is not None:
            version = str(chart_metadata(cached).get("version"))
            return Located(cached, version, f"{cached}: the cache, by digest {_short(ref.digest)}", ref.digest)
    elif not ref.semver:
        if not ref.tag:
            raise ChartRefused(f"{ref.url} has no ref.tag, ref.digest or ref.semver, so no version is named")
        src = source_dir(charts_src)
        if src is not None and _matches(src / f"{ref.name}-{ref.tag}", ref.name, ref.tag):
            return Located(src / f"{ref.name}-{ref.tag}", ref.tag, str(src / f"{ref.name}-{ref.tag}"))
        cached_tag = _cached_by_tag(ref)
        if cached_tag is not None:
            return cached_tag
        legacy = cache_dir() / f"{ref.name}-{ref.tag}"
        if _matches(legacy, ref.name, ref.tag):
            return Located(legacy, ref.tag, str(legacy))
    off = None if explicit else _offline_reason() if pull else "it was not pulled"
    by_range = ref.semver and not ref.digest
    if off is not None:
        fallback = _cached_semver(ref, off) if by_range else None
        if fallback is not None:
            return fallback
        if by_range:
            raise ChartUnavailable(f"chart {ref.label}: which version the range picks only {ref.url} can say, no pulled version "
                                   f"matches it, and {off}")
        where = "the cache" if ref.digest else f"--charts-src / ${CHARTS_SRC_ENV} or the cache"
        raise ChartUnavailable(f"chart {ref.label} is not in {where}, and {off}")
    try:
        return _pull_ref(ref)
    except ChartRefused:
        raise
    except ChartUnavailable:
        fallback = _cached_semver(ref, "it could not be reached") if by_range and not explicit else None
        if fallback is None:
            raise
        return fallback


def _pull_ref(ref: OciRef) -> Located:
    try:
        import helm_python as helm
    except ImportError:
        raise ChartUnavailable(f"chart {ref.label} is not at hand and the Helm SDK that pulls it is not installed "
                               f"({HELM_EXTRA})") from None
    host = ref.url.removeprefix("oci://").split("/", 1)[0]
    failed = _FAILED.get((str(cache_dir()), host))
    if failed is not None:
        raise ChartUnavailable(f"chart {ref.label} is not at hand and could not be pulled from {ref.describe()} "
                               f"({host} could not be reached by an earlier pull: {failed}; not retried this run)")
    base = ref.url.rstrip("/")
    try:
        with helm.RegistryClient(plain_http=ref.insecure) as client:
            tag = ref.tag
            if ref.semver and not ref.digest:
                tag = pick_version(ref.semver, client.tags(base))
                if tag is None:
                    raise ChartRefused(f"no tag of {base} matches ref.semver {ref.semver!r}")
            digest = ref.digest
            if tag:
                served = str(client.resolve(f"{base}:{tag}").get("digest", ""))
                if digest and served != digest:
                    raise ChartRefused(f"ref.digest {_short(digest)} is not what {base}:{tag} serves ({_short(served)}); "
                                       "refused: nothing was pulled or cached")
                digest = served
            return _pull_digest(helm, client, ref, base, tag, digest)
    except helm.HelmError as exc:
        detail = " ".join(str(exc).split())[:300]
        if "not found" in detail or "digest mismatch" in detail or "MANIFEST_UNKNOWN" in detail:
            raise ChartRefused(f"{ref.describe()}: the registry does not serve it ({detail})") from None
        _FAILED[(str(cache_dir()), host)] = detail
        raise ChartUnavailable(f"chart {ref.label} is not at hand and could not be pulled from {ref.describe()} ({detail})") from None


def _pull_digest(helm: Any, client: Any, ref: OciRef, base: str, tag: str, digest: str) -> Located:
    """Pull exactly the manifest ``digest`` into the cache, as ``<chart>-<version>@sha256-<hex>/``."""
    import json

    if not _DIGEST.match(digest):
        raise ChartRefused(f"{base}:{tag} resolved to {digest!r}, not a sha256 digest")
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{ref.name}.", dir=root))
    except OSError as exc:
        raise ChartUnavailable(f"cannot pull {ref.describe()}: the cache {root} is not writable ({exc.strerror})") from None
    try:
        client.pull(f"{base}@{digest}", destination=staging, untar=True, untar_dir=staging, plain_http=ref.insecure)
        unpacked = staging / ref.name
        meta = chart_metadata(unpacked)
        version = str(meta.get("version", ""))
        if meta.get("name") != ref.name:
            raise ChartRefused(f"{base}@{_short(digest)} is not chart {ref.name} (its Chart.yaml names {meta.get('name')!r})")
        if not _parse_version(version) or not re.fullmatch(r"[0-9A-Za-z.+_-]+", version):
            raise ChartRefused(f"{base}@{_short(digest)}: its Chart.yaml version {version[:80]!r} is not a semantic version")
        _expand_subcharts(helm, unpacked)
        target = root / f"{ref.name}-{version}@sha256-{digest.removeprefix('sha256:')}"
        if not target.is_dir():
            try:
                os.replace(unpacked, target)
            except OSError:
                if not target.is_dir():  # else another run stored the same digest a moment ago
                    raise
        record = root / (target.name + _META)
        tmp = staging / "meta.json"
        tmp.write_text(json.dumps({"url": ref.url, "tag": tag, "digest": digest, "version": version}), encoding="utf-8")
        os.replace(tmp, record)
        where = f"{base}:{tag}" if tag else base
        return Located(target, version, f"{where}, {_short(digest)}: pulled now into the cache {root}", digest, True)
    except OSError as exc:
        raise ChartUnavailable(f"cannot store {ref.describe()} in the cache {root} ({exc.strerror})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _expand_subcharts(helm: Any, chart_dir: Path) -> None:
    """Unpack the subchart archives a packaged chart carries (``charts/*.tgz``), so their defaults and CRDs
    are read like a chart source's; Helm loads the folder as it would the archive."""
    pending = [chart_dir]
    while pending:
        charts = pending.pop() / "charts"
        if not charts.is_dir():
            continue
        for archive in sorted(charts.glob("*.tgz")):
            helm.expand(charts, archive)
            archive.unlink()
        pending.extend(child for child in charts.iterdir() if child.is_dir())


_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def _parse_version(text: str) -> tuple[int, int, int, str] | None:
    match = _VERSION.match(text.strip())
    if not match or any(part and not part.isdigit() for part in match.group(2, 3)):
        return None
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0), match.group(4) or ""


def _satisfies(version: tuple[int, int, int, str], constraint: str) -> bool:
    """One Masterminds-style constraint (the syntax Flux's ref.semver takes): =, !=, >, <, >=, <=, ~, ^, x."""
    match = re.match(r"^(!=|>=|=>|<=|=<|>|<|=|~>|~|\^)?\s*(.+)$", constraint.strip())
    if not match:
        raise ValueError(constraint)
    op, text = match.group(1) or "", match.group(2)
    if text.strip() in ("*", "x", "X") and op in ("", "="):
        return not version[3]
    parts = _VERSION.match(text.strip())
    if not parts:
        raise ValueError(constraint)
    given = [p for p in parts.group(1, 2, 3) if p is not None]
    wild = len(given) < 3 or any(not p.isdigit() for p in given)
    fixed = [int(p) for p in given if p.isdigit()]
    floor = (*fixed, *([0] * (3 - len(fixed))))
    low = (*floor[:3], parts.group(4) or "")
    core = version[:3]
    if op in ("", "=") and wild:
        return list(core[: len(fixed)]) == fixed and not version[3]
    if op == "~" or op == "~>":
        top = (floor[0] + 1, 0, 0) if len(fixed) == 1 else (floor[0], floor[1] + 1, 0)
        return low[:3] <= core < top and not version[3]
    if op == "^":
        if floor[0] > 0 or len(fixed) == 1:
            top = (floor[0] + 1, 0, 0)
        elif floor[1] > 0 or len(fixed) == 2:
            top = (0, floor[1] + 1, 0)
        else:
            top = (0, 0, floor[2] + 1)
        return low[:3] <= core < top and not version[3]
    key, bound = _order(version), _order(low)
    return {"": key == bound, "=": key == bound, "!=": key != bound, ">": key > bound, "<": key < bound,
            ">=": key >= bound, "=>": key >= bound, "<=": key <= bound, "=<": key <= bound}[op] and (
        not version[3] or bool(low[3]))


def _order(version: tuple[int, int, int, str]) -> tuple[int, int, int, int, str]:
    return (*version[:3], 0 if version[3] else 1, version[3])


def pick_version(constraint: str, tags: list[str]) -> str | None:
    """The newest tag matching ``constraint`` (``>=1.0.0 <2.0.0``, ``~1.11``, ``1.x || 2.x``), as Flux picks.

    Raises ChartRefused when the range is not one Flux's semver syntax reads.
    """
    best: tuple[tuple[int, int, int, int, str], str] | None = None
    try:
        alternatives = [re.split(r"\s*,\s*|\s+", re.sub(r"(!=|>=|=>|<=|=<|~>|[<>=~^])\s+", r"\1", alt.strip()))
                        for alt in constraint.split("||")]
        for tag in tags:
            version = _parse_version(tag)
            if version is None:
                continue
            if any(all(_satisfies(version, c) for c in alt if c) for alt in alternatives):
                if best is None or _order(version) > best[0]:
                    best = (_order(version), tag)
    except ValueError:
        raise ChartRefused(f"ref.semver {constraint!r} is not a semver range Flux reads") from None
    return best[1] if best else None
