"""End to end in a real terminal: the installed `obs-wizard` inside tmux (80x24), typed like a person."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, flux_repo, need, shared_data


class Terminal:
    def __init__(self, command: str, cwd: Path, env: dict[str, str]):
        self.name = f"obs-wizard-{uuid.uuid4().hex[:8]}"
        # A tmux server of its own (-L): runs in parallel (or an operator's own tmux) never share or stop it.
        self.tmux = [shutil.which("tmux"), "-L", self.name]
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24",
                        f"cd {shlex.quote(str(cwd))} && env {exports} {command}; echo EXIT=$? > .exit-code; sleep 60"],
                       check=True, timeout=10)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True, timeout=10).stdout

    def history(self) -> str:
        """The screen and the scrollback above it (what the wizard printed after exiting)."""
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-S", "-500", "-t", self.name], capture_output=True,
                              text=True, timeout=10).stdout

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear; the screen shows:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, key], check=True, timeout=10)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True, timeout=10)
        time.sleep(0.3)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, timeout=10)


def wizard_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of obs-wizard in the pane: the ../shared data (without it the wizard refuses the
    missing folders), a private cache, a colour terminal, and the caller's PATH, HOME, PYTHONPATH, strictness."""
    crds, charts = shared_data()
    env = {"OBS_WIZARD_CRD_DIR": str(crds), "OBS_WIZARD_CHARTS_DIR": str(charts),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "TERM": "xterm-256color", **extra}
    for key in ("PATH", "HOME", "OBS_WIZARD_STRICT_TOOLS", "PYTHONPATH"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    return env


def exit_code(repo: Path, timeout: float = 15) -> str:
    """What the shell recorded when obs-wizard exited in the terminal."""
    deadline = time.monotonic() + timeout
    while not (repo / ".exit-code").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return (repo / ".exit-code").read_text().strip()


@pytest.fixture
def terminal_factory():
    opened: list[Terminal] = []

    def open_terminal(command: str, cwd: Path, env: dict[str, str]) -> Terminal:
        need(shutil.which("tmux") is not None, "tmux is not installed (Debian package tmux)")
        need(shutil.which("obs-wizard") is not None, "the obs-wizard command is not installed (pip install -e .)")
        terminal = Terminal(command, cwd, env)
        opened.append(terminal)
        return terminal

    yield open_terminal
    for terminal in opened:
        terminal.close()


def test_a_full_interactive_run_in_a_real_terminal(tmp_path, terminal_factory):
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    env = wizard_env(tmp_path)
    term = terminal_factory(f"obs-wizard --repo {shlex.quote(str(repo))}", repo, env)
    term.wait_for("This is a first run")
    term.keys("C-n")
    term.wait_for("Cluster domain")
    term.type("example.com")
    term.keys("Tab")
    term.type("3")
    term.keys("Tab")
    term.type("local-path")
    for title in ("Scrape interval", "Grafana hostname", "1Password vault", "Slack channel", "In kubernetes/apps/observability/"):
        term.keys("C-n")
        term.wait_for(title)
    assert not (repo / "kubernetes/apps/observability").exists()  # nothing written before confirming
    term.keys("C-n")  # on Review Next never writes: it points to Write files
    term.wait_for("Next does not write")
    term.keys("Enter")  # the deliberate choice: Enter on Write files
    term.wait_for("Write the files without checking")
    term.keys("y")
    term.wait_for("Validating the manifests", timeout=60)  # the Write log stays on screen until Next
    term.wait_for("all at once", timeout=90)  # "wrote N file(s), all at once": Next is enabled now
    term.keys("C-n")  # once: a second press on Done would end the wizard before Done is seen
    term.wait_for("Done.", timeout=60)
    term.keys("C-n")
    assert exit_code(repo) == "EXIT=0"
    after = term.history()
    assert "validation: " in after and "✓ wrote " in after  # the same report, printed after the app exits
    for golden in (ROOT / "kubernetes").rglob("*.yaml"):
        if golden.name != "flux-alerts.yaml":  # it also watches the repo's namespaces (tests/test_platform.py)
            assert (repo / golden.relative_to(ROOT)).read_text() == golden.read_text()
    alerts = repo / "kubernetes/apps/observability/kube-prometheus-stack/app/flux-alerts.yaml"
    assert "namespace: kube-system" in alerts.read_text()  # the fixture's apps' namespaces are covered
    assert (repo / ".obs-wizard/answers.yaml").exists()


def test_quit_in_a_real_terminal_writes_nothing(tmp_path, terminal_factory):
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    env = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ} | {"TERM": "xterm-256color"}
    term = terminal_factory(f"obs-wizard --repo {shlex.quote(str(repo))}", repo, env)
    term.wait_for("This is a first run")
    term.keys("C-q")
    term.wait_for("Quit obs-wizard?")
    term.keys("y")
    assert exit_code(repo) == "EXIT=130"
    assert "obs-wizard: quit; nothing was written." in term.history()  # said, not just an exit code
    assert sorted(p.name for p in repo.iterdir()) == [".exit-code", "kubernetes"]
    assert not (repo / "kubernetes/apps/observability").exists()
