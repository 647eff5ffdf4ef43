"""Shared fixtures. Tests needing an external tool or ../shared data skip with a reason, or fail
when OBS_WIZARD_STRICT_TOOLS=1 (CI sets it)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from wizard import answers_file, cli, tools

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLE_ANSWERS = ROOT / "examples" / "answers.yaml"


@pytest.fixture(scope="session")
def _cache_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache-home")


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch, _cache_home):
    """CRDs from ../shared/crds (as operators pass --crd-dir); no 1Password Connect unless a test sets
    one; the user cache (converted CRDs, compiled templates, validated documents) private to the run."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(_cache_home))
    if (SHARED / "crds").is_dir():
        monkeypatch.setenv("OBS_WIZARD_CRD_DIR", str(SHARED / "crds"))
    if (SHARED / "charts").is_dir():
        monkeypatch.setenv("OBS_WIZARD_CHARTS_DIR", str(SHARED / "charts"))
    if (SHARED / "charts-src").is_dir():
        monkeypatch.setenv("OBS_WIZARD_CHARTS_SRC", str(SHARED / "charts-src"))
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
def charts_src(tmp_path_factory) -> Path:
    """A chart source to render from: ../shared/charts-src, with tests/charts stand-ins for the
    kube-prometheus-stack subcharts it does not have unpacked (symlinks; nothing is copied)."""
    from wizard import charts
    from wizard.validate.helm_render import sdk_available

    shared = SHARED / "charts-src"
    need(shared.is_dir(), f"{shared} is absent (the pinned chart sources live in ../shared/charts-src)")
    need(sdk_available(), "the Helm SDK is not installed (pip install -e '.[test,helm]')")
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


def require_tool(name: str) -> str:
    found = shutil.which(name)
    need(found is not None, f"{name} is not installed ({tools.PROVIDERS.get(name, name)})")
    assert found is not None
    return found


@pytest.fixture
def kubectl() -> str:
    return require_tool("kubectl")


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


def validation_passed(out: str) -> bool:
    """The summary line says every check ran and passed (the render and wiring checks when the Helm SDK is there)."""
    checks = ("flux-substitution", "crd-schema", "chart-values", "alloy", "promtool", "amtool", "kustomize", "manifests")
    return any(line.startswith("validation (") and line.endswith("): passed") and all(c in line for c in checks)
               for line in out.splitlines())


MINIMAL_ANSWERS = "cluster:\n  domain: example.com\n  node_count: 3\n  storage_class: local-path\n"
