"""In a real terminal (tmux): an exception inside the wizard ends it with exit 70 and one line on stderr;
neither the screen nor the scrollback (where stderr goes) shows a local variable (a Connect token, a host's password)."""

from __future__ import annotations

import shlex
import sys
import time

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli, snapshot_tree
from tests.test_terminal import exit_code, terminal_factory, wizard_env  # noqa: F401 - the fixture

TOKEN = "ops_CRASHTOKEN_0123456789abcdef"
PASSWORD = "hunter2pass"
HOST = f"http://operator:{PASSWORD}@127.0.0.1:9"

# obs-wizard itself, with the 1Password check made to raise inside the write worker (whose frame holds
# the host and the token as locals): a stand-in for any bug.
CRASHING = """
import wizard.onepassword.check as check
def boom(answers, host, token, **kwargs):
    copy_of_token = token
    raise RuntimeError("forced failure")
check.check_connect = boom
from wizard.cli import main
raise SystemExit(main())
"""


def test_a_crash_prints_one_line_exit_70_and_no_secret(tmp_path, terminal_factory):  # noqa: F811
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    before = snapshot_tree(repo)
    env = wizard_env(tmp_path, OP_CONNECT_HOST=HOST, OP_CONNECT_TOKEN=TOKEN)
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(CRASHING)} --repo {shlex.quote(str(repo))}"
    term = terminal_factory(command, repo, env)
    term.wait_for("This is a re-run")
    deadline = time.monotonic() + 60
    while "Next does not write" not in term.screen() and time.monotonic() < deadline:
        term.keys("C-n")  # to Review, and on: Next never writes there, it points to Write files
        time.sleep(0.5)
    term.wait_for("Next does not write")
    term.keys("Enter")  # Enter on Write files: Connect is configured, so the check runs, and raises
    assert exit_code(repo, timeout=60) == "EXIT=70"
    time.sleep(0.3)
    shown = term.history()  # the screen and its scrollback: Textual draws on stderr, and the exit line goes there
    for secret in (TOKEN, PASSWORD, "copy_of_token", "Traceback", "locals"):
        assert secret not in shown, shown
    said = shown.replace("\n", "")  # the line wraps at 80 columns
    assert "obs-wizard: internal error (RuntimeError) in the wizard; nothing was written. Please report this." in said, said
    after = snapshot_tree(repo)
    after.pop(".exit-code", None)
    assert after == before
