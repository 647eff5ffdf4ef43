"""The chart version on disk is what gets checked, whatever it is: a real OCI registry on 127.0.0.1
(Debian's `docker-registry`, started here with a temp config), a bumped alloy chart (the pinned one from
../shared/charts-src, read in place through links, repackaged as 1.12.0 with one new default) pushed with
the Helm SDK, and a Renovate-style tag bump in a repo obs-wizard wrote: validate pulls it, renders and
value-checks it and says so; with the registry stopped and no cache the skip says that, and its remedy
(`obs-wizard fetch-charts`) works; a ref.digest the registry does not serve is refused."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_ANSWERS, SHARED, flux_repo, need, require_tool, run_cli
from wizard.base import yamlio
from wizard.render import charts
from wizard.validate import helm_render

NS = "kubernetes/apps/observability"
ALLOY_OCI = f"{NS}/alloy/app/ocirepository.yaml"
ALLOY_RELEASE = f"{NS}/alloy/app/helmrelease.yaml"
NEW_DEFAULT = "renovateOnlyIn1120"  # a top-level default only the bumped chart has


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Registry:
    """`docker-registry serve` on 127.0.0.1:<port>, its storage in ``root`` (kept across stop/start)."""

    def __init__(self, binary: str, root: Path, port: int | None = None):
        self.binary, self.root, self.port = binary, root, port or _free_port()
        self.config = root / "config.yml"
        root.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root / 'storage'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n")
        self.proc: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Registry:
        self.proc = subprocess.Popen([self.binary, "serve", str(self.config)], stdout=subprocess.DEVNULL,
                                     stderr=(self.root / "registry.log").open("ab"))
        for _ in range(200):  # readiness, not a timing assertion: the first answer of /v2/
            if self.proc.poll() is not None:
                raise AssertionError(f"docker-registry exited {self.proc.returncode}: {(self.root / 'registry.log').read_text()[-500:]}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise AssertionError(f"docker-registry did not answer on {self.host}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture(scope="module")
def helm():
    need(helm_render.sdk_available(), "the Helm SDK is not installed (pip install -e '.[test,helm]')")
    import helm_python

    return helm_python


@pytest.fixture(scope="module")
def bumped_charts(helm, tmp_path_factory) -> dict[str, Path]:
    """alloy 1.12.0 (the pinned chart with one more default) and 1.11.1 repackaged, as .tgz files in tmp."""
    source = SHARED / "charts-src" / "alloy-1.11.1"
    need(source.is_dir(), f"{source} is absent (the pinned chart sources live in ../shared/charts-src)")
    root = tmp_path_factory.mktemp("bumped")
    chart = root / "alloy"
    chart.mkdir()
    for entry in source.iterdir():  # read in place: links, and only values.yaml written anew
        if entry.name not in ("values.yaml", "charts"):
            (chart / entry.name).symlink_to(entry)
    (chart / "values.yaml").write_text((source / "values.yaml").read_text() + f"\n{NEW_DEFAULT}: false\n")
    (chart / "values.schema.json").write_text(json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                                                          "properties": {NEW_DEFAULT: {"type": "boolean"}}}))
    # Its subchart as an archive, as `helm dependency build` leaves it in a published chart.
    (chart / "charts").mkdir()
    helm.package(source / "charts" / "crds", destination=chart / "charts")
    out = {"1.12.0": Path(helm.package(chart, destination=root, version="1.12.0"))}
    (root / "old").mkdir()
    out["1.11.1"] = Path(helm.package(source, destination=root / "old", version="1.11.1"))
    return out


@pytest.fixture
def registry(tmp_path, helm, bumped_charts):
    """A running registry holding alloy 1.11.1 and 1.12.0 under /charts; stopped after the test."""
    binary = require_tool("docker-registry")
    running = Registry(binary, tmp_path / "registry").start()
    try:
        for archive in bumped_charts.values():
            helm.push(archive, f"oci://{running.host}/charts", plain_http=True)
        yield running
    finally:
        running.stop()


@pytest.fixture
def pulling(monkeypatch, tmp_path):
    """Pulling allowed (conftest forbids it), an empty user cache of this test's own."""
    monkeypatch.delenv("OBS_WIZARD_NO_PULL", raising=False)
    monkeypatch.delenv("OBS_WIZARD_STRICT_TOOLS", raising=False)  # a skip must stay a skip here (CI sets it)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    charts.new_run()
    return tmp_path / "cache" / "obs-wizard" / "charts"


def _digest(registry: Registry, helm, version: str) -> str:
    with helm.RegistryClient(plain_http=True) as client:
        return client.resolve(f"oci://{registry.host}/charts/alloy:{version}")["digest"]


def _bump(repo: Path, registry: Registry, *, ref: str = "tag: 1.12.0") -> None:
    """Renovate's bump of alloy, on a plain-HTTP mirror of the chart (spec.insecure)."""
    oci = repo / ALLOY_OCI
    text = oci.read_text()
    text = text.replace("  ref:\n    tag: 1.11.1\n", "  insecure: true\n  ref:\n    " + ref.replace("\n", "\n    ") + "\n")
    oci.write_text(text.replace("oci://ghcr.io/home-operations/charts-mirror/alloy", f"oci://{registry.host}/charts/alloy"))


def _written_repo(tmp_path: Path) -> Path:
    repo = flux_repo(tmp_path / "repo")
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    need(result.code == 0, f"the first write needs every tool and ../shared data: {result.err[-300:]}")
    return repo


def _outcome(out: str, check: str) -> str:
    return next(line for line in out.splitlines() if line.lstrip().startswith(("passed ", "FAILED ", "skipped "))
                and line.split()[1] == check)


@pytest.mark.slow  # a write and full validations (kubectl, promtool, amtool): over 10 s
def test_the_bumped_chart_is_pulled_rendered_and_value_checked(tmp_path, registry, pulling, helm):
    repo = _written_repo(tmp_path)
    _bump(repo, registry)
    release = repo / ALLOY_RELEASE
    release.write_text(release.read_text().replace("  values:\n", f"  values:\n    {NEW_DEFAULT}: true\n", 1))
    result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert result.code == 0, result
    digest = _digest(registry, helm, "1.12.0")
    values = _outcome(result.out, "chart-values")
    assert values.startswith("  passed  chart-values"), values
    assert (f"alloy 1.12.0 from the alloy 1.12.0 chart (oci://{registry.host}/charts/alloy:1.12.0, {digest[:19]}…: "
            f"pulled now into the cache {pulling})") in values  # its own defaults, so the new value is known
    render = _outcome(result.out, "chart-render")
    assert render.startswith("  passed  chart-render"), render
    assert f"alloy 1.12.0 from {pulling}/alloy-1.12.0@sha256-{digest[7:]}: the cache, pulled from oci://{registry.host}/charts/alloy:1.12.0" in render
    assert (pulling / f"alloy-1.12.0@sha256-{digest[7:]}" / "Chart.yaml").is_file()
    # A misspelt name fails, naming the version that was checked; so does a value its values.schema.json refuses.
    release.write_text(release.read_text().replace(f"{NEW_DEFAULT}: true", f"{NEW_DEFAULT}: 'yes'\n    {NEW_DEFAULT}x: true"))
    failed = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert failed.code == 3, failed
    assert f"spec.values.{NEW_DEFAULT}x: not a value of chart alloy 1.12.0" in failed.out
    assert f"spec.values.{NEW_DEFAULT}: alloy 1.12.0 values.schema.json: 'yes' is not of type 'boolean'" in failed.out


@pytest.mark.slow  # a write and full validations (kubectl, promtool, amtool): over 10 s
def test_offline_without_the_chart_the_skip_says_so_and_fetch_charts_is_the_remedy(tmp_path, registry, pulling, helm):
    repo = _written_repo(tmp_path)
    _bump(repo, registry)
    registry.stop()
    result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert result.code == 0, result  # not --strict: skipped, never passed
    for check in ("chart-values", "chart-render"):
        line = _outcome(result.out, check)
        assert line.startswith(f"  skipped {check}"), line
        assert (f"chart alloy 1.12.0 is not at hand and could not be pulled from oci://{registry.host}/charts/alloy:1.12.0 "
                "(") in line and "connection refused" in line, line
        assert f"remedy: run `obs-wizard fetch-charts --repo DIR` where {registry.host} is reachable" in line, line
        assert "pinned" not in line.split("HelmRelease/alloy", 1)[1].split("HelmRelease/", 1)[0]  # no download that cannot work
    assert "skipped (" in result.out.splitlines()[-1] and "chart-values" in result.out.splitlines()[-1]
    strict = run_cli("validate", "--strict", "--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert strict.code == 3, strict
    # The remedy works: fetch-charts where the registry answers, then validate offline from the cache.
    registry.start()
    fetched = run_cli("fetch-charts", "--repo", repo)
    assert fetched.code == 0, fetched
    digest = _digest(registry, helm, "1.12.0")
    assert (f"  fetched  {ALLOY_OCI}: alloy 1.12.0 from oci://{registry.host}/charts/alloy:1.12.0, {digest[:19]}…: "
            f"pulled now into the cache {pulling}") in fetched.out, fetched.out
    assert f"  at hand  {NS}/loki/app/ocirepository.yaml: loki 18.11.0 from " in fetched.out  # ../shared stands in front
    assert fetched.out.splitlines()[-1] == "fetch-charts: 1 fetched, 2 at hand, 0 failed"
    registry.stop()
    again = run_cli("validate", "--strict", "--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert again.code == 0, again
    assert f"alloy 1.12.0 from the alloy 1.12.0 chart ({pulling}/alloy-1.12.0@sha256-{digest[7:]}: the cache" in _outcome(again.out, "chart-values")


@pytest.mark.slow  # a write and full validations (kubectl, promtool, amtool): over 10 s
def test_a_digest_the_registry_does_not_serve_is_refused(tmp_path, registry, pulling, helm):
    repo = _written_repo(tmp_path)
    old = _digest(registry, helm, "1.11.1")  # Renovate moved the tag; the digest still names the old chart
    _bump(repo, registry, ref=f"tag: 1.12.0\ndigest: {old}")
    served = _digest(registry, helm, "1.12.0")
    result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert result.code == 3, result
    expected = (f"ref.digest {old[:19]}… is not what oci://{registry.host}/charts/alloy:1.12.0 serves ({served[:19]}…); "
                "refused: nothing was pulled or cached")
    assert f"error: [chart-values] {ALLOY_RELEASE}: HelmRelease/alloy: {expected}; its values were not checked" in result.out
    assert f"error: [chart-render] {ALLOY_RELEASE}: HelmRelease/alloy: not rendered: {expected}" in result.out
    assert not pulling.exists() or not [p for p in pulling.iterdir() if p.name.startswith("alloy-")]
    fetched = run_cli("fetch-charts", "--repo", repo)
    assert fetched.code == 3 and f"  refused  {ALLOY_OCI}: {expected}" in fetched.out, fetched


def test_a_digest_or_semver_ref_gets_the_version_the_registry_serves(registry, pulling, helm, monkeypatch):
    url = f"oci://{registry.host}/charts/alloy"
    digest = _digest(registry, helm, "1.12.0")
    by_digest = charts.find(charts.OciRef(url, digest=digest, insecure=True))
    assert by_digest.version == "1.12.0" and by_digest.pulled and by_digest.digest == digest
    again = charts.find(charts.OciRef(url, digest=digest, insecure=True))  # now from the cache, by digest
    assert not again.pulled and again.chart_dir == by_digest.chart_dir and "the cache, by digest" in again.source
    newest = charts.find(charts.OciRef(url, semver=">=1.11.0 <2.0.0", insecure=True))
    assert newest.version == "1.12.0" and newest.digest == digest
    assert charts.find(charts.OciRef(url, semver="~1.11", insecure=True)).version == "1.11.1"
    with pytest.raises(charts.ChartRefused, match="no tag of .* matches ref.semver '>=3.0.0'"):
        charts.find(charts.OciRef(url, semver=">=3.0.0", insecure=True))
    with pytest.raises(charts.ChartRefused, match="the registry does not serve it"):
        charts.find(charts.OciRef(url, tag="9.9.9", insecure=True))
    # The subchart archive the package carries is unpacked, so its defaults and CRDs are read like a chart source's.
    assert (by_digest.chart_dir / "charts/crds/Chart.yaml").is_file() and not list(by_digest.chart_dir.glob("charts/*.tgz"))
    assert charts.crd_files(by_digest.chart_dir) and charts.missing_subcharts(by_digest.chart_dir) == []
    record = json.loads((pulling / f"{by_digest.chart_dir.name}.obs-wizard-pull.json").read_text())
    assert record["digest"] == digest and record["version"] == "1.12.0"
    # Offline, a range gets the newest matching version pulled before, and says the registry was not asked.
    registry.stop()
    charts.new_run()
    offline = charts.find(charts.OciRef(url, semver=">=1.11.0 <2.0.0", insecure=True))
    assert offline.version == "1.12.0" and not offline.pulled
    assert "the newest version matching semver >=1.11.0 <2.0.0 pulled from" in offline.source
    assert "the registry was not asked (it could not be reached) and may hold a newer one" in offline.source
    monkeypatch.setenv("OBS_WIZARD_NO_PULL", "1")
    with pytest.raises(charts.ChartUnavailable, match=r"which version the range picks only .* can say, no pulled version "
                                                      r"matches it, and pulling is off \(OBS_WIZARD_NO_PULL=1\)"):
        charts.find(charts.OciRef(url, semver=">=1.13.0", insecure=True))


@pytest.fixture(scope="module")
def bumped_kps(helm, tmp_path_factory) -> Path:
    """kube-prometheus-stack 88.5.3 from ../shared/charts-src (complete, subcharts unpacked) repackaged as 88.6.0."""
    source = SHARED / "charts-src" / "kube-prometheus-stack-88.5.3"
    need(source.is_dir() and not [s for s in charts.missing_subcharts(source) if s.name != "crds"],
         f"{source} is absent or lacks its subcharts (the pinned chart sources live in ../shared/charts-src)")
    return Path(helm.package(source, destination=tmp_path_factory.mktemp("kps"), version="88.6.0"))


def test_the_operator_crds_come_from_the_kps_chart_at_the_version_on_disk(registry, pulling, helm, bumped_kps, monkeypatch):
    from wizard.validate.crd_sources import resolve

    monkeypatch.setenv("OBS_WIZARD_NO_CLUSTER", "1")
    monkeypatch.delenv("OBS_WIZARD_CHARTS_SRC", raising=False)
    helm.push(bumped_kps, f"oci://{registry.host}/charts", plain_http=True)
    url = f"oci://{registry.host}/charts/kube-prometheus-stack"
    wanted = {("monitoring.coreos.com/v1", "PrometheusRule"), ("monitoring.coreos.com/v1", "ServiceMonitor")}
    resolved = resolve(wanted, None, {"kube-prometheus-stack": charts.OciRef(url, "88.6.0", insecure=True)})
    assert set(resolved.schemas) == wanted
    (label,) = set(resolved.origin.values())
    assert label.startswith(f"the kube-prometheus-stack 88.6.0 chart ({url}:88.6.0, sha256:") and "pulled now into the cache" in label
    # Offline, not cached: the note names that chart and why, never another's failure.
    registry.stop()
    charts.new_run()
    monkeypatch.setenv("XDG_CACHE_HOME", str(pulling.parent.parent.parent / "other-cache"))
    offline = resolve(wanted, None, {"kube-prometheus-stack": charts.OciRef(url, "88.6.0", insecure=True)})
    assert not offline.schemas
    assert any(n.startswith(f"kube-prometheus-stack chart: chart kube-prometheus-stack 88.6.0 is not at hand and could not be "
                            f"pulled from {url}:88.6.0 (") and "connection refused" in n for n in offline.notes), offline.notes
    # ... and the crd-schema skip names the resources not checked, that chart, and fetch-charts as a remedy.
    from wizard.validate.crd_schema import check_documents

    charts.new_run()
    files = {f"{NS}/kube-prometheus-stack/app/ocirepository.yaml":
             _oci("kube-prometheus-stack", url, "tag: 88.6.0").replace("  ref:", "  insecure: true\n  ref:"),
             f"{NS}/kube-prometheus-stack/app/servicemonitor.yaml":
             "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: mine\nspec:\n  selector: {}\n"}
    (skip,) = [f for f in check_documents(files, None, strict_missing=False).skipped if f.check == "crd-schema"]
    assert "ServiceMonitor/mine" in skip.message and "kube-prometheus-stack 88.6.0 is not at hand" in skip.message, skip
    assert "run `obs-wizard fetch-charts --repo DIR` where the chart registry is reachable" in skip.remedy


def test_an_oci_repository_is_read_as_flux_reads_it():
    def ref(spec: str) -> charts.OciRef:
        return charts.oci_ref(yamlio.load(f"kind: OCIRepository\nspec:\n  url: oci://r/c/alloy\n{spec}"))

    assert ref("  ref:\n    tag: 1.12.0\n") == charts.OciRef("oci://r/c/alloy", "1.12.0")
    assert ref("  insecure: true\n  ref:\n    semver: '~1.11'\n") == charts.OciRef("oci://r/c/alloy", semver="~1.11", insecure=True)
    assert ref("  insecure: 'true'\n") == charts.OciRef("oci://r/c/alloy", "latest")  # no ref: Flux takes latest; a string is not true
    assert ref("  ref:\n    digest: sha256:" + "a" * 64 + "\n").tag == ""
    assert ref("  ref: [not, a, map]\n").tag == "latest" and ref("").name == "alloy"


def test_semver_ranges_follow_flux():
    tags = ["2.0.0", "1.12.0", "1.11.3", "1.11.1", "1.13.0-rc.1", "v0.9.0", "latest"]
    assert charts.pick_version(">=1.0.0 <2.0.0", tags) == "1.12.0"  # a prerelease only for a range that names one
    assert charts.pick_version(">= 1.11.1, < 1.12", tags) == "1.11.3"
    assert charts.pick_version("~1.11", tags) == "1.11.3"
    assert charts.pick_version("^1.11.0", tags) == "1.12.0"
    assert charts.pick_version("1.x || 2.x", tags) == "2.0.0"
    assert charts.pick_version("*", tags) == "2.0.0"
    assert charts.pick_version(">1.12.0-0", tags) == "2.0.0"
    assert charts.pick_version("<1.0.0", tags) == "v0.9.0"
    assert charts.pick_version(">=5", tags) is None
    with pytest.raises(charts.ChartRefused, match="not a semver range"):
        charts.pick_version(">=one", tags)


def _oci(name: str, url: str, ref: str) -> str:
    return (f"---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: {name}\nspec:\n"
            f"  interval: 15m\n  url: {url}\n  ref:\n    {ref}\n")


def test_fetch_charts_reads_only_what_the_repo_holds_and_says_what_it_could_not_fetch(tmp_path, pulling, helm):
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_cli("fetch-charts", "--repo", empty)
    assert nothing.code == 0 and nothing.out == f"fetch-charts: no OCIRepository under {empty / 'kubernetes'}; nothing to fetch\n"
    missing = run_cli("fetch-charts", "--repo", tmp_path / "absent")
    assert missing.code == 2 and missing.err.count("\n") == 1 and "--repo does not exist" in missing.err, missing
    repo = tmp_path / "repo"
    apps = repo / "kubernetes/apps/observability"
    apps.mkdir(parents=True)
    (apps / "closed.yaml").write_text(_oci("closed", "oci://127.0.0.1:9/charts/alloy", "tag: 1.12.0"))  # nothing listens on 9
    (apps / "variable.yaml").write_text(_oci("variable", "oci://${MIRROR}/charts/loki", "tag: 18.11.0"))
    (apps / "sneaky.yaml").write_text(_oci("sneaky", "oci://127.0.0.1:9/charts/alloy", "tag: ../../../etc"))
    (apps / "broken.yaml").write_text("kind: OCIRepository\nspec: [unclosed\n")  # passed over
    (apps / "huge.yaml").write_text(_oci("huge", "oci://127.0.0.1:9/charts/huge", "tag: 1.0.0") + "#" * 2_100_000)
    result = run_cli("fetch-charts", "--repo", repo)
    assert result.code == 3, result
    lines = result.out.splitlines()
    assert lines[-1] == "fetch-charts: 0 fetched, 0 at hand, 3 failed"
    closed = next(line for line in lines if "closed.yaml" in line)
    assert closed.startswith("  failed   kubernetes/apps/observability/closed.yaml: chart alloy 1.12.0 is not at hand and could "
                             "not be pulled from oci://127.0.0.1:9/charts/alloy:1.12.0 (") and "connection refused" in closed
    assert ("  failed   kubernetes/apps/observability/variable.yaml: oci://${MIRROR}/charts/loki:18.11.0 holds a Flux variable; "
            "only the cluster knows its value") in lines
    assert "  refused  kubernetes/apps/observability/sneaky.yaml: ref.tag '../../../etc' of oci://127.0.0.1:9/charts/alloy is not an OCI tag" in lines
    assert "huge" not in result.out and "broken" not in result.out
    assert not pulling.exists() or not list(pulling.iterdir())
    # A link out of the repo is refused by name before anything is read (as every command does).
    (apps / "elsewhere.yaml").symlink_to(tmp_path / "empty")
    linked = run_cli("fetch-charts", "--repo", repo)
    assert linked.code == 2 and "elsewhere.yaml" in linked.err, linked
