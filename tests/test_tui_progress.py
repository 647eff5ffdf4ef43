"""While writing, the Write step says which stage runs (with a bar and a spinner); when it ends it says that
the log is printed after the wizard ends; Done lists every skipped check (validation ones too, with their
reason and remedy) and the commands that run them."""

from __future__ import annotations

import asyncio
import threading

from tests.conftest import flux_repo
from tests.test_tui import DONE, WRITE, choose_write, fixed_validation, goto_review, make_app
from wizard.session import Session
from wizard.tui.components.write_log import PRINTED_AFTER, WritePane, progress_bar


async def test_the_write_step_shows_each_stage_and_done_lists_the_skipped_checks(tmp_path, monkeypatch):
    entered, release = threading.Event(), threading.Event()

    def slow_validate(self, answers, the_plan):  # the validation of a loaded machine: it runs until released
        entered.set()
        release.wait(120)
        return fixed_validation()

    monkeypatch.setattr(Session, "validate", slow_validate)
    stages: list[str] = []
    original = WritePane.stage
    monkeypatch.setattr(WritePane, "stage", lambda self, n, total, text: (stages.append(f"{n}/{total} {text}"),
                                                                           original(self, n, total, text)))
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        await choose_write(app, pilot)
        await pilot.press("y")  # write without the 1Password check
        assert await asyncio.to_thread(entered.wait, 120)
        await pilot.pause()
        pane = app.query_one(WritePane)
        line = app.query_one("#write-stage")
        assert line.display and "2 of 3: Validating the manifests" in str(line.render())
        assert progress_bar(1, 3) in str(line.render()) and not app.query_one("#write-after").display
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.index == WRITE and app.write_done
        assert not line.display and pane.stage_text == ""
        assert app.query_one("#write-after").display and PRINTED_AFTER in str(app.query_one("#write-after").render())
        total = len(app.written)
        assert stages[-1] == f"3/3 Writing the files ({total} of {total})…" and f"3/3 Writing the files (0 of {total})…" in stages
        await pilot.press("ctrl+n")
        assert app.index == DONE
        shown = str(app.query_one("#done-text").render())
        assert PRINTED_AFTER in shown
    text = "\n".join(app.done_text)
    assert "validation promtool: promtool is not installed (apt-get install prometheus)" in text
    assert "1Password items not checked: Connect was not configured" in text
    assert "obs-wizard validate --repo ~/home-ops" in text and "obs-wizard check-secrets --repo ~/home-ops" in text
    assert PRINTED_AFTER not in text  # printed after the wizard ended, it would not be true there


def test_the_bar_is_ascii_on_the_linux_console(monkeypatch):
    assert progress_bar(1, 3) == "[■□□]"
    monkeypatch.setenv("TERM", "linux")
    assert progress_bar(2, 3) == "[##-]"
