"""Where the CRD schemas and chart defaults come from when no --crd-dir/--charts-dir is given: the live
cluster (real kubectl against a fake API on 127.0.0.1), the pinned files downloaded once into the user
cache and sha256-checked (from a local mirror of ../shared), and what the report says about each."""

from __future__ import annotations

import copy
import hashlib
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_ANSWERS, SHARED, flux_repo, need, run_cli
from tests.fake_kube import FakeKube, Silent, kubeconfig
from tests.local_server import LocalServer
from wizard.answers import answers_file
from wizard.render import render
from wizard.validate import upstream, validate_files

NS = "kubernetes/apps/observability"


class Mirror:
    """A local HTTP server serving ../shared as the upstream files (``tampered``: path -> other bytes)."""

    def __init__(self, root: Path, tampered: dict[str, bytes] | None = None):
        tampered = tampered or {}
        self.requests: list[str] = []
        owner = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                owner.requests.append(self.path)
                name = self.path.lstrip("/")
                if name in tampered:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(tampered[name])))
                    self.end_headers()
                    self.wfile.write(tampered[name])
                    return
                super().do_GET()

            def log_message(self, *args) -> None:
                pass

        self.server = LocalServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Mirror:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shared() -> Path:
    need((SHARED / "crds").is_dir() and (SHARED / "charts").is_dir(), f"{SHARED} is absent (upstream CRDs and chart defaults)")
    return SHARED


@pytest.fixture
def plain_install(monkeypatch, tmp_path, shared):
    """What a plain `pip install` has: no --crd-dir/--charts-dir, an empty user cache, no cluster."""
    for name in ("OBS_WIZARD_CRD_DIR", "OBS_WIZARD_CHARTS_DIR", "OBS_WIZARD_CHARTS_SRC", "OBS_WIZARD_STRICT_TOOLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def files():
    a = answers_file.load(EXAMPLE_ANSWERS)
    return a, render.render(a)


def checks(answers_and_files, **kwargs):
    a, rendered = answers_and_files
    report = validate_files(rendered, repo=None, crd_dir=None, charts_dir=None, answers=a, **kwargs)
    return report, {o.check: o for o in report.outcomes()}


def test_every_pin_is_the_sha256_of_the_upstream_file(shared):
    pins = [p for _, p in upstream.CRDS.values()] + [p for files in upstream.CHARTS.values() for p in files]
    for pinned in pins:
        assert hashlib.sha256((shared / pinned.name).read_bytes()).hexdigest() == pinned.sha256, pinned.name
        assert pinned.url.startswith("https://raw.githubusercontent.com/") and "/refs/tags/" in pinned.url
    assert {p.name for p in pins} >= {f"crds/{f.name}" for f in (shared / "crds").glob("*.yaml")}


def test_first_use_downloads_the_pinned_files_then_runs_from_the_cache(plain_install, monkeypatch, files, shared):
    with Mirror(shared) as mirror:
        monkeypatch.setenv(upstream.BASE_ENV, mirror.url)
        report, outcome = checks(files)
        assert not report.errors, [f.line() for f in report.errors]
        assert outcome["crd-schema"].status == "passed" and outcome["chart-values"].status == "passed"
        assert "from the pinned upstream release files (sha256-checked" in outcome["crd-schema"].source
        assert "kube-prometheus-stack 88.5.3, loki 18.11.0, alloy 1.11.1 from the pinned upstream" in outcome["chart-values"].source
        assert "/crds/helmreleases.yaml" in mirror.requests and "/charts/grafana-12.11.1/values.yaml" in mirror.requests
    cached = plain_install / "cache/obs-wizard/upstream"
    assert (cached / "crds/helmreleases.yaml").read_bytes() == (shared / "crds/helmreleases.yaml").read_bytes()
    # The mirror is gone: the cache answers, each file checked against its pin again.
    monkeypatch.setattr("wizard.validate.upstream._UNREACHABLE", {})
    report, outcome = checks(files)
    assert outcome["crd-schema"].status == "passed" and outcome["chart-values"].status == "passed"
    # A cached file that changed is not trusted: it is fetched again, and here that fails.
    (cached / "crds/helmreleases.yaml").write_text("tampered")
    report, outcome = checks(files)
    assert outcome["crd-schema"].status == "skipped"
    assert "v2 HelmRelease" in outcome["crd-schema"].reasons[0] and "could not download" in outcome["crd-schema"].reasons[0]


def test_a_download_that_does_not_match_its_checksum_is_refused(plain_install, monkeypatch, files, shared):
    original = (shared / "crds/helmreleases.yaml").read_bytes()
    with Mirror(shared, tampered={"crds/helmreleases.yaml": original.replace(b"interval", b"intervall")}) as mirror:
        monkeypatch.setenv(upstream.BASE_ENV, mirror.url)
        report, outcome = checks(files)
    reason = outcome["crd-schema"].reasons[0]
    assert outcome["crd-schema"].status == "skipped"
    assert f"{mirror.url}/crds/helmreleases.yaml: sha256 " in reason and "is not the pinned aa8638ac68465cea…; refused, nothing stored" in reason
    assert "remedy: let kubectl reach the cluster, allow the one-time download of the pinned CRDs, or pass --crd-dir DIR" in reason
    assert not (plain_install / "cache/obs-wizard/upstream/crds/helmreleases.yaml").exists()
    assert report.ok and not report.with_strict(True).ok


def test_offline_without_data_every_skip_names_its_remedy(plain_install, monkeypatch, files):
    monkeypatch.setenv(upstream.OFFLINE_ENV, "1")
    report, outcome = checks(files)
    assert outcome["crd-schema"].status == "skipped" and outcome["chart-values"].status == "skipped"
    assert "OBS_WIZARD_OFFLINE=1 forbids the download" in outcome["crd-schema"].reasons[0]
    assert "kubectl has no current context" in outcome["crd-schema"].reasons[0]
    assert all("remedy: allow the one-time download of the pinned chart defaults, or pass --charts-dir DIR" in r
               for r in outcome["chart-values"].reasons)
    assert "skipped (crd-schema, chart-values" in report.summary() and " passed (" not in report.summary()
    assert "no schema for" not in report.summary()  # the reasons are on each check's line, not repeated


def test_the_live_cluster_is_the_first_source(plain_install, monkeypatch, files, shared, kubectl):
    def without_interval(doc):  # this cluster's HelmRelease has no spec.interval: its schema must be the one used
        doc = copy.deepcopy(doc)
        if doc["spec"]["names"]["kind"] == "HelmRelease":
            for version in doc["spec"]["versions"]:
                version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"].pop("interval")
                version["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"].remove("interval")
        return doc

    with FakeKube.from_dir(shared / "crds", change=without_interval) as cluster:
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(plain_install / "kubeconfig", cluster.url, "home")))
        report, outcome = checks(files)
    assert outcome["crd-schema"].source.startswith("CRDs: ") and "from the live cluster (kubectl context home)" in outcome["crd-schema"].source
    assert any(r.startswith("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/helmreleases.helm.toolkit.fluxcd.io")
               for r in cluster.requests)
    assert {(f.check, f.path, f.message) for f in report.errors} >= {
        ("crd-schema", "spec", "unknown field 'interval' (misspelled, or not in this API version)")}


def test_a_kind_the_cluster_does_not_serve_comes_from_the_pinned_files(plain_install, monkeypatch, files, shared, kubectl):
    with FakeKube.from_dir(shared / "crds", change=lambda d: d) as cluster, Mirror(shared) as mirror:
        del cluster.crds["httproutes.gateway.networking.k8s.io"]
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(plain_install / "kubeconfig", cluster.url, "home")))
        monkeypatch.setenv(upstream.BASE_ENV, mirror.url)
        report, outcome = checks(files)
    assert outcome["crd-schema"].status == "passed"
    source = outcome["crd-schema"].source
    assert "HTTPRoute from the pinned upstream release files" in source and "HelmRelease" in source.split(" from the live cluster")[0]
    assert [r for r in mirror.requests if r.startswith("/crds/")] == ["/crds/httproutes.yaml"]


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_an_unreachable_context_falls_through_to_the_next_source(plain_install, monkeypatch, files, shared, kubectl, kind):
    import socket

    monkeypatch.setenv("OBS_WIZARD_KUBECTL_TIMEOUT", "1")
    with Silent() as silent, Mirror(shared) as mirror:
        if kind == "refused":
            with socket.socket() as probe:  # a port nothing listens on
                probe.bind(("127.0.0.1", 0))
                server = f"http://127.0.0.1:{probe.getsockname()[1]}"
        else:
            server = silent.url
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(plain_install / "kubeconfig", server, "away")))
        monkeypatch.setenv(upstream.BASE_ENV, mirror.url)
        from wizard.validate.crd_sources import resolve

        wanted = {("helm.toolkit.fluxcd.io/v2", "HelmRelease"), ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")}
        resolved = resolve(wanted, None, {})
    assert set(resolved.schemas) == wanted
    assert set(resolved.origin.values()) == {f"the pinned upstream release files (sha256-checked, cached in {plain_install}/cache/obs-wizard/upstream/crds)"}
    (note,) = resolved.notes
    assert note.startswith("live cluster (context away): ")
    if kind == "refused":
        assert "refused" in note, note


def test_an_explicit_crd_dir_wins_and_touches_nothing_else(monkeypatch, files, shared, tmp_path, kubectl):
    with FakeKube.from_dir(shared / "crds") as cluster:
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kubeconfig", cluster.url)))
        a, rendered = files
        report = validate_files(rendered, repo=None, crd_dir=shared / "crds", charts_dir=shared / "charts", answers=a)
    by_check = {o.check: o for o in report.outcomes()}
    documents = sum(text.count("\nkind: ") + text.startswith("kind: ") for path, text in rendered.items()
                    if path.endswith(".yaml") and not path.endswith("/kustomization.yaml"))
    assert by_check["crd-schema"].source.endswith(f"from --crd-dir {shared / 'crds'}; {documents} document(s) checked")
    assert by_check["chart-values"].source == f"chart defaults: kube-prometheus-stack 88.5.3, loki 18.11.0, alloy 1.11.1 from --charts-dir {shared / 'charts'}"
    assert cluster.requests == []


def test_the_headless_report_names_each_source(plain_install, monkeypatch, shared):
    with Mirror(shared) as mirror:
        monkeypatch.setenv(upstream.BASE_ENV, mirror.url)
        result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", flux_repo(plain_install / "repo"))
    assert result.code == 0, result
    assert "  passed  crd-schema (CRDs: " in result.out and "from the pinned upstream release files" in result.out
    assert "  passed  chart-values (chart defaults: kube-prometheus-stack 88.5.3, loki 18.11.0, alloy 1.11.1 from" in result.out


def test_the_pinned_chart_at_hand_supplies_the_operator_crds_and_its_defaults(plain_install, monkeypatch, files, shared):
    need((shared / "charts-src").is_dir(), f"{shared / 'charts-src'} is absent (the pinned chart sources)")
    monkeypatch.setenv("OBS_WIZARD_CHARTS_SRC", str(shared / "charts-src"))
    with Mirror(shared) as mirror:
        monkeypatch.setenv(upstream.BASE_ENV, mirror.url)
        report, outcome = checks(files)
    chart = f"the kube-prometheus-stack 88.5.3 chart ({shared / 'charts-src' / 'kube-prometheus-stack-88.5.3'})"
    assert f"PrometheusRule from {chart}" in outcome["crd-schema"].source
    assert "/crds/prometheusrules.yaml" not in mirror.requests  # the chart had it
    assert outcome["chart-values"].status == "passed"
    assert "kube-prometheus-stack 88.5.3 from the kube-prometheus-stack 88.5.3 chart" in outcome["chart-values"].source
    # the chart source has its grafana subchart unpacked: its defaults come from there, nothing is downloaded
    assert "/charts/grafana-12.11.1/values.yaml" not in mirror.requests


def test_the_charts_src_flag_reaches_the_crd_and_chart_defaults_lookups(plain_install, monkeypatch, shared):
    """--charts-src alone (no environment variable) is where the operator CRDs and chart defaults come from."""
    need((shared / "charts-src").is_dir(), f"{shared / 'charts-src'} is absent (the pinned chart sources)")
    monkeypatch.setenv("OBS_WIZARD_OFFLINE", "1")  # nothing may come from a download
    result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", flux_repo(plain_install / "repo"),
                     "--charts-src", shared / "charts-src")
    chart = f"the kube-prometheus-stack 88.5.3 chart ({shared / 'charts-src' / 'kube-prometheus-stack-88.5.3'})"
    assert f"PrometheusRule from {chart}" in " ".join(result.out.split()), result.out
    assert "  passed  chart-values (chart defaults: kube-prometheus-stack 88.5.3 from the kube-prometheus-stack 88.5.3 chart" in result.out, result.out
