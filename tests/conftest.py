"""Shared fixtures. Tests needing an external tool or ../shared data skip with a reason, or fail
when OBS_WIZARD_STRICT_TOOLS=1 (CI sets it)."""

from __future__ import annotations

import io
import re
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


#: The checks every full validation runs (others may add more).
EVERY_CHECK = ("flux-substitution", "crd-schema", "chart-values", "alloy", "promtool", "amtool", "kustomize", "manifests")


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
