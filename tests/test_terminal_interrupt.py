"""In a real terminal (tmux): SIGTERM while the wizard (whose write runs in a worker thread) is putting
the files in place waits for the write to complete; the process then ends, leaving all the files new."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time

import pytest

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli
from tests.test_terminal import exit_code, terminal_factory, wizard_env  # noqa: F401 - the fixture
from wizard.write.apply import JOURNAL, LOCK, SCRATCH

KPS = "kubernetes/apps/observability/kube-prometheus-stack/app/helmrelease.yaml"


def _wizard_pid(term) -> int:
    """The obs-wizard process in the tmux pane (the pane's shell runs it as its child)."""
    shell = subprocess.run([*term.tmux, "display-message", "-p", "-t", term.name, "#{pane_pid}"],
                           capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", shell], capture_output=True, text=True, timeout=10).stdout.split()
    (pid,) = children
    return int(pid)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupt_while_the_wizard_puts_files_in_place_waits_for_the_write(tmp_path, terminal_factory, sig):  # noqa: F811
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    pause = tmp_path / "pause"
    pause.mkdir()
    env = wizard_env(tmp_path, OBS_WIZARD_TEST_PAUSE=f"{pause}:renamed ")  # after the first file is in place
    term = terminal_factory(f"obs-wizard --repo {shlex.quote(str(repo))}", repo, env)
    term.wait_for("This is a re-run")
    term.keys("C-n")
    term.wait_for("Step 1 of")
    term.keys("C-n")
    term.wait_for("Step 2 of")
    time.sleep(1)  # the step has mounted and focused its first field
    term.keys("Enter", "Enter")  # scrape, evaluation, retention
    term.keys("C-u")
    term.type("60d")
    for step in range(3, 7):  # to Review, one step at a time (a press sent while a step mounts is not lost in a batch)
        term.keys("C-n")
        term.wait_for(f"Step {step} of", timeout=60)
    term.keys("C-n")  # once more on Review: Next never writes, it points to Write files
    term.wait_for("Next does not write", timeout=60)
    term.keys("Enter")  # the deliberate choice: Enter on Write files
    term.wait_for("Write the files without checking")
    term.keys("y")
    deadline = time.monotonic() + 90
    while not (pause / "paused").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (pause / "paused").read_text().startswith("renamed "), term.screen()
    os.kill(_wizard_pid(term), sig)  # one file is in place, the others are not yet
    time.sleep(0.5)
    (pause / "resume").touch()
    if sig == signal.SIGTERM:
        assert exit_code(repo, timeout=30) == f"EXIT={128 + signal.SIGTERM}"  # SIGTERM still ends the wizard ...
    else:  # Ctrl+C's signal ends it as cancelled, saying the truth: the write had completed
        assert exit_code(repo, timeout=30) == "EXIT=130"
        said = " ".join(term.history().split())
        assert "cancelled after the write had completed: all" in said and "nothing was written" not in said, said
    # ... once the write is complete: every file new, no journal, no staging area, no lock
    assert "retention: 60d" in (repo / KPS).read_text()
    for leftover in (JOURNAL, f"{JOURNAL}.new", SCRATCH, LOCK):
        assert not (repo / leftover).exists(), leftover
    assert run_cli("--check", "--repo", repo).code == 0  # the saved answers and the files agree
