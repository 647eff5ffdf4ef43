"""Every flag an interactive mode accepts is honoured there, or the combination is refused in one line:
--skip-secret-check writes without the 1Password check (no "Write anyway?" dialog; Done and the plain
summary list the check as skipped); --conflicts, --force and --adopt (which settle conflicts without asking)
are refused with exit 2 before any prompt."""

from __future__ import annotations

import io

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.conftest import flux_repo, nothing_written, run_cli, shared_data
from tests.test_plain import CLUSTER, keystrokes
from tests.test_tui import DONE, WRITE, choose_write, goto_review, make_app
from wizard.plain import prompts as plain
from wizard.tui.components.confirm import Confirm


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("flags", [["--adopt"], ["--conflicts", "ours"], ["--force"], ["--plain", "--conflicts", "theirs"],
                                   ["--plain", "--adopt", "--force"]])
def test_conflict_flags_are_refused_by_the_interactive_modes_in_one_line(tmp_path, monkeypatch, flags):
    repo = flux_repo(tmp_path / "home-ops")
    started = []
    monkeypatch.setattr("wizard.tui.app.run", lambda *a, **k: started.append(k) or 0)
    monkeypatch.setattr("wizard.plain.prompts.run", lambda *a, **k: started.append(k) or 0)
    result = run_cli("--repo", repo, *flags)
    assert result.code == 2 and result.out == "" and len(result.err.splitlines()) == 1, result
    named = [f for f in flags if f in ("--adopt", "--conflicts", "--force")]
    assert all(f in result.err for f in named) and "--answers FILE" in result.err and "on Review" in result.err
    assert started == [] and nothing_written(repo)


@pytest.mark.parametrize("plain_mode", [False, True])
def test_skip_secret_check_reaches_the_interactive_mode(tmp_path, monkeypatch, plain_mode):
    repo = flux_repo(tmp_path / "home-ops")
    started = []
    monkeypatch.setattr("wizard.tui.app.run", lambda *a, **k: started.append(("tui", k)) or 0)
    monkeypatch.setattr("wizard.plain.prompts.run", lambda *a, **k: started.append(("plain", k)) or 0)
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("sys.stdout", _Terminal())
    monkeypatch.setattr("signal.signal", lambda *a: None)  # the test process keeps its own handlers
    result = run_cli("--repo", repo, "--skip-secret-check", *(["--plain"] if plain_mode else []))
    assert result.code == 0, result
    ((mode, kwargs),) = started
    assert mode == ("plain" if plain_mode else "tui") and kwargs["skip_secret_check"] is True


async def test_the_wizard_honours_skip_secret_check_and_done_lists_it(tmp_path):
    repo = flux_repo(tmp_path / "home-ops")
    app = make_app(repo, skip_secret_check=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        assert "--skip-secret-check" in str(app.query_one("#review-summary").render())
        await choose_write(app, pilot)
        assert not isinstance(app.screen, Confirm)  # no "Write anyway?": the flag said so
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.index == WRITE and app.write_done
        assert any("1Password check skipped (--skip-secret-check)" in line for line in app.report_lines)
        await pilot.press("ctrl+n")
        assert app.index == DONE
    assert any("1Password items not checked: --skip-secret-check" in line for line in app.done_text)
    assert not nothing_written(repo)


def test_the_plain_prompts_honour_skip_secret_check(tmp_path):
    repo = flux_repo(tmp_path / "home-ops")
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keystrokes(CLUSTER, "yes\r"))  # no "write without checking?" question follows
        pipe.close()
        code = plain.run(repo, *shared_data(), input=pipe, output=DummyOutput(), out=out, skip_secret_check=True)
    text = out.getvalue()
    assert code == 0, text
    assert "secret check: skipped (--skip-secret-check)" in text
    assert "not checked: the 1Password check (--skip-secret-check) (skipped, not passed)" in text
