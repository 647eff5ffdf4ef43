"""Shared fixtures. Tests needing an external tool or ../shared data skip with a reason, or fail
when OBS_WIZARD_STRICT_TOOLS=1 (CI sets it)."""

from __future__ import annotations

import importlib
import io
import os
import re
import shutil
from pathlib import Path

import pytest

#: What the caller's shell may set that changes what a terminal test draws: the tests set their own.
CALLER_ENVIRONMENT = ("NO_COLOR", "FORCE_COLOR", "COLORTERM", "COLUMNS", "LINES", "TERM")
TEST_TERM = "xterm-256color"


def _own_environment() -> None:
    """The tests' own terminal environment, whatever the caller's shell has (NO_COLOR=1 and TERM=linux are
    common): no NO_COLOR, FORCE_COLOR, COLUMNS, LINES or TEXTUAL_* (the snapshot plugin's own temp dir aside),
    TERM=xterm-256color; tests that need one set it. Textual read its TEXTUAL_* constants when the snapshot
    plugin imported it, before this file: they are read again from the cleaned environment."""
    textual_vars = [name for name in os.environ if name.startswith("TEXTUAL_") and name != "TEXTUAL_SNAPSHOT_TEMPDIR"]
    for name in (*CALLER_ENVIRONMENT, *textual_vars):
        os.environ.pop(name, None)
    os.environ["TERM"] = TEST_TERM
    if textual_vars:
        import textual.constants

        constants = importlib.reload(textual.constants)
        import textual._styles_cache
        import textual.app
        import textual.filter
        import textual.message_pump

        textual._styles_cache.DEBUG = constants.DEBUG
        textual.filter.DIM_FACTOR = constants.DIM_FACTOR
        textual.message_pump.SLOW_THRESHOLD = constants.SLOW_THRESHOLD
        textual.app.App.theme._default = constants.DEFAULT_THEME


_own_environment()

from wizard import cli
from wizard.answers import answers_file
from wizard.validate import tools

ROOT = Path(__file__).resolve().parent.parent
#: The upstream data beside the checkout; OBS_WIZARD_TEST_SHARED points elsewhere (tests of the suite itself use it).
SHARED = Path(os.environ.get("OBS_WIZARD_TEST_SHARED") or ROOT.parent / "shared")
EXAMPLE_ANSWERS = ROOT / "examples" / "answers.yaml"


@pytest.fixture(scope="session")
def _cache_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache-home")


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch, _cache_home, _assembled_charts_src):
    """CRDs from ../shared/crds (as operators pass --crd-dir); charts to render from ../shared/charts-src
    (with stand-ins for its absent subcharts); no 1Password Connect unless a test sets one; the user
    cache (converted CRDs, compiled templates, validated documents, renders) private to the run."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(_cache_home))
    # Never the internet, never a developer's cluster: downloads go to a closed local port, kubectl has no context.
    monkeypatch.setenv("OBS_WIZARD_UPSTREAM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("KUBECONFIG", str(_cache_home / "no-kubeconfig"))
    monkeypatch.setattr("wizard.validate.upstream._UNREACHABLE", {})
    if (SHARED / "crds").is_dir():
        monkeypatch.setenv("OBS_WIZARD_CRD_DIR", str(SHARED / "crds"))
    if (SHARED / "charts").is_dir():
        monkeypatch.setenv("OBS_WIZARD_CHARTS_DIR", str(SHARED / "charts"))
    if _assembled_charts_src is not None:
        monkeypatch.setenv("OBS_WIZARD_CHARTS_SRC", str(_assembled_charts_src))
    monkeypatch.setenv("OBS_WIZARD_NO_PULL", "1")  # network is 127.0.0.1 only: never pull a chart
    for name in ("OP_CONNECT_HOST", "OP_CONNECT_TOKEN", "OP_CONNECT_CLIENT_REQ_TIMEOUT", "OBS_WIZARD_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def need(condition: bool, reason: str) -> None:
    """Skip (or fail in strict mode) when something a test needs is missing."""
    if condition:
        return
    if tools.strict():
        pytest.fail(f"OBS_WIZARD_STRICT_TOOLS=1 and {reason}")
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In strict mode (CI) no test may skip silently: a skip from anywhere (a marker, importorskip,
    a fixture) is a failure, as need() already makes its own skips."""
    outcome = yield
    report = outcome.get_result()
    if tools.strict() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"OBS_WIZARD_STRICT_TOOLS=1 allows no skipped test, and this one skipped: {reason}"


def shared_data() -> tuple[Path, Path]:
    """../shared/crds and ../shared/charts, for tests that run the whole validation (the wizard, the
    plain prompts, a real terminal): without them those checks would be skipped quietly."""
    crds, charts = SHARED / "crds", SHARED / "charts"
    need(crds.is_dir() and charts.is_dir(), f"{SHARED} (crds/, charts/) is absent: the upstream data lives in ../shared")
    return crds, charts


@pytest.fixture
def crd_dir() -> Path:
    path = SHARED / "crds"
    need(path.is_dir(), f"{path} is absent (the upstream CRDs live in ../shared/crds)")
    return path


@pytest.fixture
def charts_dir() -> Path:
    path = SHARED / "charts"
    need(path.is_dir(), f"{path} is absent (chart defaults live in ../shared/charts)")
    return path


STAND_INS = ROOT / "tests" / "charts"


@pytest.fixture(scope="session")
def _assembled_charts_src(tmp_path_factory) -> Path | None:
    """../shared/charts-src with tests/charts stand-ins for the kube-prometheus-stack subcharts it does
    not have unpacked, as a folder of symlinks (nothing is copied); None when ../shared lacks it."""
    from wizard.render import charts

    shared = SHARED / "charts-src"
    if not shared.is_dir():
        return None
    root = tmp_path_factory.mktemp("charts-src")
    for chart in shared.iterdir():
        if not chart.is_dir():
            continue
        missing = [sub for sub in charts.missing_subcharts(chart) if (STAND_INS / sub.name).is_dir()]
        if not missing:
            (root / chart.name).symlink_to(chart)
            continue
        (root / chart.name).mkdir()
        for entry in chart.iterdir():
            if entry.name != "charts":
                (root / chart.name / entry.name).symlink_to(entry)
        (root / chart.name / "charts").mkdir()
        for entry in (chart / "charts").iterdir() if (chart / "charts").is_dir() else ():
            (root / chart.name / "charts" / entry.name).symlink_to(entry)
        for sub in missing:
            (root / chart.name / "charts" / sub.name).symlink_to(STAND_INS / sub.name)
    return root


@pytest.fixture
def charts_src(_assembled_charts_src) -> Path:
    """The chart source the wiring tests render from (the Helm SDK must be installed)."""
    from wizard.validate.helm_render import sdk_available

    need(_assembled_charts_src is not None, f"{SHARED / 'charts-src'} is absent (the pinned chart sources live in ../shared/charts-src)")
    need(sdk_available(), "the Helm SDK is not installed (pip install -e '.[test,helm]')")
    assert _assembled_charts_src is not None
    return _assembled_charts_src


def require_tool(name: str) -> str:
    found = shutil.which(name)
    need(found is not None, f"{name} is not installed ({tools.PROVIDERS.get(name, name)})")
    assert found is not None
    return found


@pytest.fixture
def kubectl() -> str:
    return require_tool("kubectl")


@pytest.fixture
def all_tools() -> None:
    """kubectl, promtool and amtool: every tool-backed check can run."""
    for name in ("kubectl", "promtool", "amtool"):
        require_tool(name)


@pytest.fixture
def example_answers():
    return answers_file.load(EXAMPLE_ANSWERS)


class Result:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:  # shown by pytest on failure
        return f"Result(code={self.code}, out={self.out[-2000:]!r}, err={self.err[-2000:]!r})"


def run_cli(*args: str | Path) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


def snapshot_tree(root: Path) -> dict[str, bytes]:
    """Every file under root (relative path -> bytes), to prove nothing changed."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


MINIMAL_ANSWERS = "cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n"


FLUX_APPS_KUSTOMIZATION = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
"""

_EXAMPLE_REPO_FILES = {
    "kubernetes/flux/cluster/ks.yaml": FLUX_APPS_KUSTOMIZATION,
    "kubernetes/apps/kube-system/cilium/gateway/internal.yaml": """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: internal
  namespace: kube-system
spec:
  gatewayClassName: cilium
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces:
          from: Same
    - name: https
      protocol: HTTPS
      port: 443
      allowedRoutes:
        namespaces:
          from: All
""",
    "kubernetes/apps/external-secrets/onepassword/app/clustersecretstore.yaml": """\
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: onepassword
spec:
  provider:
    onepassword:
      connectHost: http://onepassword.external-secrets.svc.cluster.local
      vaults:
        Kubernetes: 1
      auth:
        secretRef:
          connectTokenSecretRef:
            name: onepassword-secret
            key: token
            namespace: external-secrets
""",
    "kubernetes/apps/kube-system/local-path/app/storageclass.yaml": """\
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
provisioner: rancher.io/local-path
""",
}


def flux_repo(path: Path) -> Path:
    """A minimal Flux repo defining everything examples/answers.yaml (and MINIMAL_ANSWERS) name: the
    Kustomization applying kubernetes/apps from GitRepository flux-system, the Gateway kube-system/internal
    (listener https), the ClusterSecretStore onepassword (vault Kubernetes) and the StorageClass local-path."""
    for rel, text in _EXAMPLE_REPO_FILES.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return path


def nothing_written(repo: Path) -> bool:
    """Only what flux_repo wrote is in ``repo``: obs-wizard wrote nothing."""
    return set(snapshot_tree(repo)) == set(_EXAMPLE_REPO_FILES)


#: The checks every full validation runs (others may add more).
EVERY_CHECK = ("flux-substitution", "crd-schema", "crd-race", "chart-values", "alloy", "promtool", "amtool", "kustomize", "manifests")


def all_checks_passed(out: str) -> bool:
    """The validation summary line says every check passed: none skipped, none failed, EVERY_CHECK among them.

    Every check includes the CRD and chart ones, so the test needs ../shared (it skips without it)."""
    shared_data()
    for line in out.splitlines():
        match = re.fullmatch(r"validation: (\d+) passed \(([a-z, -]+)\)", line)
        if match:
            names = match.group(2).split(", ")
            return int(match.group(1)) == len(names) and set(EVERY_CHECK) <= set(names)
    return False
