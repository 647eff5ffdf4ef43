"""The pinned upstream files validation reads (CRDs, chart defaults), downloaded on first use.

Each file is pinned by URL (a release tag) and sha256. On first use it is downloaded into the
per-user cache (``$XDG_CACHE_HOME/obs-wizard/upstream/``, laid out like ``--crd-dir`` and
``--charts-dir``), and every later read checks the sha256 again. A file whose bytes differ from
the pin is refused and never stored. ``$OBS_WIZARD_UPSTREAM_URL`` replaces the upstream URLs by
``<base>/<name>`` (a mirror, or a test server); ``OBS_WIZARD_OFFLINE=1`` never downloads.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

BASE_ENV = "OBS_WIZARD_UPSTREAM_URL"
OFFLINE_ENV = "OBS_WIZARD_OFFLINE"
TIMEOUT = 15.0  # seconds per file


@dataclass(frozen=True)
class Pinned:
    name: str  # where it lives in the cache and under a mirror, e.g. "crds/helmreleases.yaml"
    url: str
    sha256: str


def _raw(repo: str, tag: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/refs/tags/{tag}/{path}"


#: (API group, kind) -> its CRD's plural name and the pinned file (see ../shared/crds/NOTICE.md).
CRDS: dict[tuple[str, str], tuple[str, Pinned]] = {
    ("kustomize.toolkit.fluxcd.io", "Kustomization"): ("kustomizations", Pinned(
        "crds/kustomizations.yaml",
        _raw("fluxcd/kustomize-controller", "v1.9.4", "config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"),
        "da23ca0e6b4c80d3d26a91583137491e147ef4ef1e2208aece0d0af4ef851974")),
    ("source.toolkit.fluxcd.io", "OCIRepository"): ("ocirepositories", Pinned(
        "crds/ocirepositories.yaml",
        _raw("fluxcd/source-controller", "v1.9.1", "config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml"),
        "2655834d468e46a533410d9e2bc3f4e7cbf9b4c922b95652012acb09bfb2545a")),
    ("helm.toolkit.fluxcd.io", "HelmRelease"): ("helmreleases", Pinned(
        "crds/helmreleases.yaml",
        _raw("fluxcd/helm-controller", "v1.6.3", "config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml"),
        "aa8638ac68465ceac1f93a617baf5be833c589c51fd78a7384a4a274c252becc")),
    ("external-secrets.io", "ExternalSecret"): ("externalsecrets", Pinned(
        "crds/externalsecrets.yaml",
        _raw("external-secrets/external-secrets", "v2.9.0", "config/crds/bases/external-secrets.io_externalsecrets.yaml"),
        "5044be5a610ca90a075f34f03ed20b462695c43387ba9410db7f4250e47b1e2f")),
    ("gateway.networking.k8s.io", "HTTPRoute"): ("httproutes", Pinned(
        "crds/httproutes.yaml",
        _raw("kubernetes-sigs/gateway-api", "v1.6.1", "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"),
        "a424a0d6c953b162e71d1d97bb7e75012d8f1ac264e7274f2763d1b96ab39852")),
    ("notification.toolkit.fluxcd.io", "Provider"): ("providers", Pinned(
        "crds/providers.yaml",
        _raw("fluxcd/notification-controller", "v1.9.3", "config/crd/bases/notification.toolkit.fluxcd.io_providers.yaml"),
        "1e971c7cb3c0970fe23186d5033edb06b3217ae41a6a4246c2064257c37ff82b")),
    ("notification.toolkit.fluxcd.io", "Alert"): ("alerts", Pinned(
        "crds/alerts.yaml",
        _raw("fluxcd/notification-controller", "v1.9.3", "config/crd/bases/notification.toolkit.fluxcd.io_alerts.yaml"),
        "2b8f79249b39881bd23c49868f114c44c6e632dfcda451da576adfa16c64226f")),
    ("monitoring.coreos.com", "PrometheusRule"): ("prometheusrules", Pinned(
        "crds/prometheusrules.yaml",
        _raw("prometheus-operator/prometheus-operator", "v0.93.0", "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"),
        "78be98554b9c8506ab2b4f4feb91c5f3a56e536a0a510f3a8e876a459970d56d")),
}

_KPS = ("prometheus-community/helm-charts", "kube-prometheus-stack-88.5.3", "charts/kube-prometheus-stack")
_GRAFANA = ("grafana-community/helm-charts", "grafana-12.11.1", "charts/grafana")
_LOKI = ("grafana-community/helm-charts", "loki-18.11.0", "charts/loki")
_ALLOY = ("grafana/alloy", "helm-chart/1.11.1", "operations/helm/charts/alloy")


def _chart(folder: str, source: tuple[str, str, str], files: dict[str, str]) -> list[Pinned]:
    repo, tag, path = source
    return [Pinned(f"charts/{folder}/{name}", _raw(repo, tag, f"{path}/{name}"), digest) for name, digest in files.items()]


#: (chart, version) -> its pinned Chart.yaml, values.yaml and values.schema.json (see ../shared/charts/NOTICE.md).
CHARTS: dict[tuple[str, str], list[Pinned]] = {
    ("kube-prometheus-stack", "88.5.3"): _chart("kube-prometheus-stack-88.5.3", _KPS, {
        "Chart.yaml": "e4af5d8f82d2c626d7a0c52dab589a39817acae7486196de16eef230388eb7ed",
        "values.yaml": "659289e3cc0ff503db75dd2969c8fe7295657357b82ff085d0b2a824d68b7755"}),
    ("grafana", "12.11.1"): _chart("grafana-12.11.1", _GRAFANA, {
        "Chart.yaml": "4ca1085863a002c5d92bc4189fd083bde1f61ba5fc72b87d4a3274f99577b87e",
        "values.yaml": "653e88838eb7553f561d2e6ffa3cbaa7d5b5029398af6ea2fdd2c27793853a68"}),
    ("loki", "18.11.0"): _chart("loki-18.11.0", _LOKI, {
        "Chart.yaml": "74f7efe19c38aacea0be21e71e0a1a40ad1939608986e5b48097de894ea879b7",
        "values.yaml": "10b9d980c8b807bbfe51cfc459e7518c3c0256646734c70f1e4ff3e559fc5849",
        "values.schema.json": "fae54d8b2d9f90b6e1724a8f429950491249dbc93e6daf4ea3ae0099d2e600c0"}),
    ("alloy", "1.11.1"): _chart("alloy-1.11.1", _ALLOY, {
        "Chart.yaml": "fd1508d15c390bfb529c23e73c2f9ab69fb493db45d6480bc4b699a12cd43def",
        "values.yaml": "e5baf1fac88469c03fe2692e4ccda75ab5b0b705193694755d959550c73ae59c"}),
}


class FetchError(Exception):
    """A pinned file could not be had: offline, unreachable, or its bytes differ from the pin."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "obs-wizard" / "upstream"


def url_of(pinned: Pinned) -> str:
    base = os.environ.get(BASE_ENV, "").rstrip("/")
    return f"{base}/{pinned.name}" if base else pinned.url


def where() -> str:
    """Where downloads come from, for the report."""
    base = os.environ.get(BASE_ENV, "").rstrip("/")
    return f"{base} ({BASE_ENV})" if base else "raw.githubusercontent.com"


def _cached(pinned: Pinned) -> Path | None:
    path = cache_dir() / pinned.name
    try:
        return path if hashlib.sha256(path.read_bytes()).hexdigest() == pinned.sha256 else None
    except OSError:
        return None


def cached(files: list[Pinned]) -> bool:
    return all(_cached(p) is not None for p in files)


_UNREACHABLE: dict[str, str] = {}  # mirror base -> why it failed: one slow failure per run, not one per file


def fetch(files: list[Pinned]) -> Path:
    """Every file in the cache, checked against its sha256 (downloaded when missing); the cache root.

    Raises FetchError with one line: which URL, and why (offline, unreachable, checksum refused).
    """
    for pinned in files:
        if _cached(pinned) is not None:
            continue
        if os.environ.get(OFFLINE_ENV, "") not in ("", "0", "false"):
            raise FetchError(f"{pinned.name} is not in the cache and {OFFLINE_ENV}=1 forbids the download")
        url = url_of(pinned)
        base = os.environ.get(BASE_ENV, "")
        if base in _UNREACHABLE:  # this file's own URL, with the cause the first attempt met (not retried)
            raise FetchError(f"could not download {url} ({_UNREACHABLE[base]}, not retried this run)")
        import urllib.error  # with the first download: a run whose data is at hand loads no HTTP client
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - pinned https or the operator's mirror
                data = response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = str(getattr(exc, "reason", None) or exc)
            if not isinstance(exc, urllib.error.HTTPError):  # the server answered: other files may be there
                _UNREACHABLE[base] = reason
            raise FetchError(f"could not download {url} ({reason})") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != pinned.sha256:
            raise FetchError(f"{url}: sha256 {digest[:16]}… is not the pinned {pinned.sha256[:16]}…; refused, nothing stored")
        _store(cache_dir() / pinned.name, data)
    return cache_dir()


def _store(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise FetchError(f"cannot write the cache {path.parent} ({exc.strerror})") from None
