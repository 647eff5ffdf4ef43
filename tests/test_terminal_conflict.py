"""End to end in a real terminal (tmux, 80x24): a conflict settled with the keyboard only."""

from __future__ import annotations

import shlex
import time

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli
from tests.test_terminal import exit_code, terminal_factory, wizard_env  # noqa: F401 - the fixture

KPS = "kubernetes/apps/observability/kube-prometheus-stack/app/helmrelease.yaml"


def test_a_conflict_is_settled_with_the_keyboard_only(tmp_path, terminal_factory):  # noqa: F811
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    helmrelease = repo / KPS
    helmrelease.write_text(helmrelease.read_text().replace("retention: 30d", "retention: 45d"))  # a hand edit
    env = wizard_env(tmp_path)
    term = terminal_factory(f"obs-wizard --repo {shlex.quote(str(repo))}", repo, env)
    term.wait_for("This is a re-run")
    term.keys("C-n")
    term.wait_for("Step 1 of")
    term.keys("C-n")
    term.wait_for("Step 2 of")
    time.sleep(1)  # the step has mounted and focused its first field
    term.keys("Enter", "Enter")  # Enter moves from field to field: scrape, evaluation, retention
    term.keys("C-u")
    term.type("60d")
    for _ in range(4):
        term.keys("C-n")
    term.wait_for("1 file(s) in conflict")
    term.wait_for("previous 30d | on disk 45d | new 60d")  # the row, at the top of Review
    term.keys("Right", "Enter")  # the conflict's choices have the focus: move to "take new", pick it
    screen = term.wait_for("every conflict settled")
    assert "chosen: take new (60d)" in screen
    term.keys("C-n")  # on Review Next never writes: it points to Write files
    term.wait_for("Next does not write")
    term.keys("Enter")  # the deliberate choice: Enter on Write files
    term.wait_for("Write the files without checking")
    term.keys("y")
    term.wait_for("all at once", timeout=90)  # "wrote N file(s), all at once": Next is enabled now
    term.keys("C-n")  # once: a second press on Done would end the wizard before Done is seen
    term.wait_for("Done.", timeout=60)
    term.keys("C-n")
    assert exit_code(repo) == "EXIT=0"
    assert "retention: 60d" in helmrelease.read_text()
    after = term.history()  # the Done text stays in the terminal after the wizard's screen is gone
    assert "git add kubernetes/apps/observability .obs-wizard" in after
    assert "1Password items not checked" in after
