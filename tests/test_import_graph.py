"""What each command loads (issue 24): read from ``sys.modules`` in a fresh interpreter, never timed.

Every command runs in a subprocess of its own, so what this test process has imported (pytest, the
conftest, other tests) cannot hide a module the command loads. The speed itself is measured by
bench/bench.py only.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_ANSWERS, ROOT, flux_repo, run_cli

#: The code a child runs: ``wizard.cli.main`` with the given arguments, then every loaded module's name.
_CLI = """
import io, json, sys
from wizard.cli import main
out, err = io.StringIO(), io.StringIO()
code = main(json.loads(sys.argv[1]), out, err)
print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue(), "modules": sorted(sys.modules)}))
"""

#: The TUI on a Pilot: the modules loaded when its first frame has been drawn (the first refresh after mount).
_FIRST_FRAME = """
import asyncio, json, sys
from pathlib import Path

from wizard.session import Session
from wizard.tui import app as tui_app

seen = {}


class FirstFrame(tui_app.WizardApp):
    CSS_PATH = [str(Path(tui_app.__file__).with_name(name)) for name in tui_app.WizardApp.CSS_PATH]

    def on_mount(self) -> None:  # Textual runs WizardApp.on_mount as well (handlers run along the MRO)
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        seen["modules"] = sorted(sys.modules)
        seen["welcome"] = " ".join(str(w.render()) for w in self.query("#step-0 Static"))


async def main() -> None:
    app = FirstFrame(Session.open(Path(sys.argv[1])), repo_label="~/home-ops")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        seen["focused"] = getattr(app.focused, "id", None)


asyncio.run(main())
print(json.dumps(seen))
"""


#: The same, started the way an operator starts it: ``obs-wizard --repo R`` through the CLI (which undoes an
#: interrupted write first), on a terminal, the app drawn headless at its first frame.
_CLI_FIRST_FRAME = """
import io, json, sys
from pathlib import Path

real_stdout = sys.stdout


class Terminal(io.StringIO):
    def isatty(self):
        return True


from wizard import cli
from wizard.tui import app as tui_app

seen = {}


class FirstFrame(tui_app.WizardApp):
    CSS_PATH = [str(Path(tui_app.__file__).with_name(name)) for name in tui_app.WizardApp.CSS_PATH]

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        seen["modules"] = sorted(sys.modules)
        seen["welcome"] = " ".join(str(w.render()) for w in self.query("#step-0 Static"))
        self.exit(0)

    def run(self, **kwargs):
        return super().run(headless=True, size=(100, 40))


tui_app.WizardApp = FirstFrame
sys.stdin, sys.stdout = Terminal(), Terminal()
code = cli.main(["--repo", sys.argv[1]])
print(json.dumps({"code": code, **seen}), file=real_stdout)
"""


def _child(code: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # the hermetic environment the conftest set, this checkout
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def _cli(*argv: str | Path) -> dict:
    return _child(_CLI, json.dumps([str(a) for a in argv]))


def _loaded(modules: list[str], package: str) -> bool:
    return any(name == package or name.startswith(package + ".") for name in modules)


@pytest.fixture
def written_repo(tmp_path) -> Path:
    """A Flux repo the example answers were written into (by a headless run in this process)."""
    repo = flux_repo(tmp_path / "home-ops")
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result.err
    return repo


def test_a_headless_run_loads_neither_textual_nor_questionary(tmp_path):
    repo = flux_repo(tmp_path / "home-ops")
    run = _cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check")
    assert run["code"] == 0, run["err"]
    assert "wrote " in run["out"] and (repo / "kubernetes/apps/observability/kustomization.yaml").is_file()
    assert _loaded(run["modules"], "wizard.validate")  # it did validate before writing
    for front_end in ("textual", "questionary", "wizard.tui", "wizard.plain"):
        assert not _loaded(run["modules"], front_end), front_end


def test_check_and_validate_load_neither_textual_nor_questionary(written_repo):
    answers = written_repo / ".obs-wizard/answers.yaml"
    check = _cli("--check", "--repo", written_repo)
    assert check["code"] == 0, check["err"]
    assert "in sync" in check["out"]
    validate = _cli("validate", "--repo", written_repo)
    assert validate["code"] == 0, validate["err"]
    assert answers.is_file() and "validation: " in validate["out"]
    for front_end in ("textual", "questionary", "wizard.tui", "wizard.plain"):
        assert not _loaded(check["modules"], front_end), front_end
        assert not _loaded(validate["modules"], front_end), front_end
    # --check compares the render with the repo and runs no check: the validation is never loaded
    assert not _loaded(check["modules"], "wizard.validate")
    assert _loaded(validate["modules"], "wizard.validate")


def test_the_first_frame_of_the_wizard_loads_no_validation_helm_merge_or_1password(tmp_path):
    repo = flux_repo(tmp_path / "home-ops")
    frame = _child(_FIRST_FRAME, str(repo))
    modules = frame["modules"]
    assert "a first run" in frame["welcome"] and frame["focused"] == "start"  # the Welcome screen, ready for Enter
    assert _loaded(modules, "textual") and "wizard.answers.form" in modules and "wizard.repo.discovery" in modules
    for later in ("wizard.validate", "helm_python", "wizard.repo.merge", "ruamel", "wizard.onepassword", "httpx",
                  "onepasswordconnectsdk", "wizard.write.plan", "wizard.write.apply", "jinja2"):
        assert not _loaded(modules, later), f"{later} is loaded before the first frame"


def test_obs_wizard_started_from_the_command_line_loads_no_plan_render_or_validation_before_its_first_frame(tmp_path):
    """The CLI's own path to the TUI (``obs-wizard --repo R``) loads no more than the app needs for Welcome:
    not the headless run, the plan, the render or the validation. The journaled writer is loaded: an
    interrupted earlier write is undone before the wizard opens."""
    repo = flux_repo(tmp_path / "home-ops")
    frame = _child(_CLI_FIRST_FRAME, str(repo))
    assert frame["code"] == 0 and "a first run" in frame["welcome"]
    modules = frame["modules"]
    assert "wizard.write.apply" in modules and "wizard.repo.discovery" in modules
    # A first run: Welcome needs discovery, not the answers model (pydantic loads just after this frame).
    assert not _loaded(modules, "pydantic") and "wizard.answers.model" not in modules
    for later in ("wizard.headless", "wizard.write.plan", "wizard.render.render", "wizard.repo.merge", "wizard.validate",
                  "helm_python", "ruamel", "wizard.onepassword", "httpx", "jinja2", "wizard.tui.components.review",
                  "wizard.tui.components.write_log", "wizard.tui.components.done", "wizard.tui.components.verify_screen",
                  "wizard.repo.crosscheck", "wizard.render.platform_map", "wizard.render.boxart"):  # the answers' checks, the diagram
        assert not _loaded(modules, later), f"{later} is loaded before the first frame"


def test_schema_loads_neither_textual_nor_the_render_and_warm_not_even_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a fresh user cache: the first run builds the schema
    cold = _cli("schema")
    warm = _cli("schema")
    assert cold["code"] == warm["code"] == 0
    assert warm["out"] == cold["out"] and json.loads(cold["out"])["title"] == "obs-wizard answers"
    assert list((tmp_path / "cache/obs-wizard").glob("answers-schema-*.json"))
    for run in (cold, warm):
        for absent in ("textual", "questionary", "wizard.render", "jinja2", "wizard.repo", "wizard.write", "wizard.validate"):
            assert not _loaded(run["modules"], absent), absent
    assert "wizard.answers.model" in cold["modules"]  # the first one builds the schema from the model
    assert not _loaded(warm["modules"], "pydantic") and "wizard.answers.model" not in warm["modules"]


def test_help_loads_almost_nothing():
    run = _cli("--help")
    assert run["code"] == 0 and "usage: obs-wizard" in run["out"]
    wizard = [name for name in run["modules"] if name.startswith("wizard")]
    assert wizard == ["wizard", "wizard.base", "wizard.base.errors", "wizard.cli"]
    for absent in ("pydantic", "yaml", "jinja2", "textual", "questionary"):
        assert not _loaded(run["modules"], absent), absent


def test_main_gives_the_collector_back_as_it_found_it(tmp_path):
    """main() pauses the garbage collector while a command loads; a caller in the same process gets it back
    enabled (or disabled, as it was) and with nothing left frozen."""
    repo = flux_repo(tmp_path / "home-ops")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        assert run_cli("--check", "--repo", repo).code == 0
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
