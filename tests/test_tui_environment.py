"""The pictures do not depend on the caller's shell: the snapshot tests pass when run from a shell with
NO_COLOR=1, TERM=linux, COLUMNS, LINES and TEXTUAL_* set (conftest sets the tests' own environment), and
without ../shared beside the checkout (no snapshot test needs it, so none is skipped and none is unused:
pytest-textual-snapshot fails a run that leaves a snapshot unused)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SNAPSHOT_FILES = ["tests/test_tui.py", "tests/test_pictures.py", "tests/test_tui_fields.py", "tests/test_tui_review.py",
                  "tests/test_tui_secrets.py"]
HOSTILE = {"NO_COLOR": "1", "TERM": "linux", "COLUMNS": "50", "LINES": "10", "FORCE_COLOR": "1", "COLORTERM": "truecolor",
           "TEXTUAL_THEME": "textual-light", "TEXTUAL_ANIMATIONS": "none", "TEXTUAL_COLOR_SYSTEM": "standard"}


def test_conftest_sets_the_tests_own_terminal_environment():
    from textual import constants

    assert os.environ.get("TERM") == "xterm-256color"
    assert not {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"} & set(os.environ)
    assert not [name for name in os.environ if name.startswith("TEXTUAL_") and name != "TEXTUAL_SNAPSHOT_TEMPDIR"]
    assert constants.DEFAULT_THEME == "textual-dark" and constants.COLOR_SYSTEM == "auto"


@pytest.mark.slow
def test_the_snapshots_pass_from_a_no_color_linux_console_shell_without_shared(tmp_path):
    svgs = sorted((ROOT / "tests" / "__snapshots__").rglob("*.svg"))
    env = {**os.environ, **HOSTILE, "PYTHONPATH": str(ROOT), "OBS_WIZARD_TEST_SHARED": str(tmp_path / "no-shared")}
    for name in ("OBS_WIZARD_STRICT_TOOLS", "OBS_WIZARD_STRICT", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    one_process = ["-n", "0"] if importlib.util.find_spec("xdist") else []  # the snapshot report is the whole run's
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *one_process, "-k", "test_snapshot_",
                           *SNAPSHOT_FILES],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    tail = done.stdout[-4000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    assert re.search(rf"\b{len(svgs)} snapshots passed\.", done.stdout), tail  # every snapshot file was compared
    assert "skipped" not in done.stdout.splitlines()[-1] and "unused" not in done.stdout, tail


def test_the_readme_installs_from_a_checkout_into_a_venv_and_says_what_the_suite_needs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    run = readme.split("## Run the wizard", 1)[1].split("\n## ", 1)[0]
    assert run.index("python3 -m venv .venv") < run.index("pip install . && obs-wizard")
    assert "not on PyPI" in run and "pip install '.[helm]'" in run
    assert "pip install 'obs-wizard[helm]'" not in readme and "pip install obs-wizard\n" not in readme
    tests = readme.split("## Run the tests", 1)[1].split("\n## ", 1)[0]
    assert "about 15 minutes on a 2-core machine" in tests and "pytest-xdist" in tests
    assert all(part in tests for part in ("`crds/`", "`charts/`", "`charts-src/`", "no snapshot test needs `../shared`"))
