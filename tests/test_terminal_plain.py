"""End to end in a real terminal (tmux, 80x24): `obs-wizard --plain` settles a conflict with the keyboard
and a stray Enter at "write these files?" writes nothing."""

from __future__ import annotations

import shlex
import time

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli
from tests.test_terminal import exit_code, terminal_factory, wizard_env  # noqa: F401 - the fixture

KPS = "kubernetes/apps/observability/kube-prometheus-stack/app/helmrelease.yaml"


def test_plain_prompts_settle_a_conflict_in_a_real_terminal(tmp_path, terminal_factory):  # noqa: F811
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    helmrelease = repo / KPS
    helmrelease.write_text(helmrelease.read_text().replace("retention: 30d", "retention: 45d"))  # a hand edit
    saved = repo / ".obs-wizard/answers.yaml"
    saved.write_text(saved.read_text().replace("retention: 30d", "retention: 60d"))  # and a changed answer
    env = wizard_env(tmp_path)
    term = terminal_factory(f"obs-wizard --plain --repo {shlex.quote(str(repo))}", repo, env)
    term.wait_for("Cluster domain")
    deadline = time.monotonic() + 60
    while "Change the advanced options" not in term.screen() and time.monotonic() < deadline:
        term.keys("Enter")  # every saved answer as it is
        time.sleep(0.2)
    term.wait_for("Change the advanced options")
    term.keys("Enter")  # No, the default
    screen = term.wait_for("Which value?")
    assert 'on disk (mine)  "45d"' in screen and 'new render      "60d"' in screen
    term.keys("Down", "Enter")  # take new
    term.wait_for("Write these")
    assert "retention: 45d" in helmrelease.read_text()  # nothing written yet
    term.keys("Enter")  # a stray Enter is asked again, not taken as yes
    term.wait_for("type yes to write the files")
    assert "retention: 45d" in helmrelease.read_text()
    term.type("yes")
    term.keys("Enter")
    term.wait_for("without checking the items? (y/N)")  # wrapped at 80 columns
    term.keys("y")
    term.wait_for("done: ", timeout=90)
    assert exit_code(repo) == "EXIT=0"
    assert "retention: 60d" in helmrelease.read_text()
    after = term.history()  # the diff shown after the choice: exactly the change written
    assert "-        retention: 45d\n+        retention: 60d" in after
