"""While writing, the Write step says which stage runs (with a bar and a spinner); when it ends it says that
the log is printed after the wizard ends; Done lists every skipped check (validation ones too, with their
reason and remedy) and the commands that run them."""

from __future__ import annotations

import asyncio
import threading

from tests.conftest import flux_repo
from tests.test_tui import DONE, WRITE, choose_write, fixed_validation, goto_review, make_app, write_without_checking
from wizard.session import Session
from wizard.tui.components.write_log import PRINTED_AFTER, WritePane, progress_bar


def record_stages(monkeypatch) -> list[str]:
    """Every stage the Write step shows ("n/total text"), in order, as it still shows them."""
    stages: list[str] = []
    original = WritePane.stage
    monkeypatch.setattr(WritePane, "stage", lambda self, n, total, text: (stages.append(f"{n}/{total} {text}"),
                                                                           original(self, n, total, text)))
    return stages


async def test_the_write_step_shows_each_stage_and_done_lists_the_skipped_checks(tmp_path, monkeypatch):
    entered, release = threading.Event(), threading.Event()

    def slow_validate(self, answers, the_plan, on_check=None):  # the validation of a loaded machine: it runs until released
        entered.set()
        release.wait(120)
        return fixed_validation()

    monkeypatch.setattr(Session, "validate", slow_validate)
    stages = record_stages(monkeypatch)
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


async def test_the_validation_stage_goes_check_by_check(tmp_path, monkeypatch):
    """The real validation: the Write step's stage line names each check as it finishes, k of N, in order."""
    stages = record_stages(monkeypatch)
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        await write_without_checking(app, pilot)
    checks = [s for s in stages if s.startswith("2/3 Validating the manifests: ")]
    total = len(checks)
    assert total >= 10, stages
    assert checks[0] == f"2/3 Validating the manifests: Flux variables checked (1 of {total} checks)…"
    assert [int(s.rsplit("(", 1)[1].split(" ", 1)[0]) for s in checks] == list(range(1, total + 1))
    assert any(": promtool checked" in s for s in checks) and checks[-1].endswith(f"({total} of {total} checks)…")


def test_validate_files_reports_each_check_once_in_order(tmp_path):
    from tests.test_tool_checks import answers
    from wizard.render import render
    from wizard.validate import validate_answers_render

    seen = []
    ans = answers()
    validate_answers_render(ans, render.render(ans), repo=None, crd_dir=None, charts_dir=None,
                            on_check=lambda name, done, total: seen.append((name, done, total)))
    names = [name for name, _, _ in seen]
    assert names == ["Flux variables", "CRD schemas", "CRD race", "chart values", "Alloy config", "promtool", "amtool",
                     "release consistency", "chart render and wiring", "kustomize", "manifests"]  # no repo: no Gateway routes
    assert [(done, total) for _, done, total in seen] == [(i, len(names)) for i in range(1, len(names) + 1)]
