"""Issue 22's keys in a real terminal (tmux, 80x24): Enter alone walks a first run to Done, and twenty Ctrl+N on
a re-run (with Connect configured) write nothing."""

from __future__ import annotations

import shlex
import time

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli, snapshot_tree
from tests.test_terminal import exit_code, terminal_factory, wizard_env  # noqa: F401

NS = "kubernetes/apps/observability"


def test_enter_alone_walks_a_first_run_to_done(tmp_path, terminal_factory):  # noqa: F811
    repo = flux_repo(tmp_path / "home-ops")
    term = terminal_factory(f"obs-wizard --repo {shlex.quote(str(repo))} --skip-secret-check", repo, wizard_env(tmp_path))
    term.wait_for("This is a first run", timeout=60)
    term.keys("Enter")  # Enter on Welcome starts step 1
    term.wait_for("Step 1 of", timeout=60)
    time.sleep(1)  # the step has focused its first field
    term.type("example.com")
    term.keys("Enter")
    term.type("3")
    deadline = time.monotonic() + 240
    while not (repo / ".exit-code").exists() and time.monotonic() < deadline:
        # Enter, and nothing else: the next field; on a step's last field (the Connect token on Secrets) the next
        # step; on Review, Write files (the check is skipped by --skip-secret-check); on Write and Done, Next
        term.keys("Enter")
        time.sleep(0.5)
    assert exit_code(repo, timeout=30) == "EXIT=0", term.history()
    assert "git add kubernetes/apps/observability .obs-wizard" in term.history()  # Done's text, printed at the end
    assert (repo / NS / "kube-prometheus-stack/app/helmrelease.yaml").is_file()


def test_twenty_ctrl_n_on_a_rerun_with_connect_configured_write_nothing(tmp_path, terminal_factory):  # noqa: F811
    repo = flux_repo(tmp_path / "home-ops")
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    before = snapshot_tree(repo)
    env = wizard_env(tmp_path, OP_CONNECT_HOST="http://127.0.0.1:9", OP_CONNECT_TOKEN="not-a-real-token")
    term = terminal_factory(f"obs-wizard --repo {shlex.quote(str(repo))}", repo, env)
    term.wait_for("This is a re-run", timeout=60)
    for _ in range(20):
        term.keys("C-n")
    term.wait_for("Next does not write", timeout=60)  # on Review: Next points to Write files, and writes nothing
    time.sleep(2)
    assert snapshot_tree(repo) == before
    term.keys("C-q")
    term.wait_for("Nothing has been written", timeout=30)  # the quit dialog says so
    term.keys("y")
    assert exit_code(repo, timeout=30) == "EXIT=130"
    assert "nothing was written" in term.history()
    (repo / ".exit-code").unlink()  # the test's own record of the exit code
    assert snapshot_tree(repo) == before
