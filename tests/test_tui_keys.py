"""Keys as an operator (or a paste, or type-ahead) sends them: every key does what it says, none crashes
the wizard, and no run of Next presses can write."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Button, Select

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, nothing_written, run_cli, snapshot_tree
from tests.test_tui import CLUSTER, DONE, REVIEW, WRITE, choose_write, fill, make_app, write_ended
from wizard.tui.components.review import ReviewPane


def burst(app, *keys: str) -> None:
    """Keys sent in one go, as a paste or fast typing arrives: none waits for the previous one's effects
    (Pilot's press() waits until the app is idle after each key)."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


async def settle(pilot, rounds: int = 10) -> None:
    for _ in range(rounds):
        await pilot.pause()


async def test_a_burst_of_keys_writes_exactly_what_review_showed(tmp_path):
    repo = flux_repo(tmp_path / "home-ops")
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        assert app.index == 2 and app.focused.id == "input-metrics-scrape_interval"
        # Step 2: two fields on, clear the retention, type 60d, and Next six times: no pauses in between
        burst(app, "enter", "enter", "ctrl+u", "6", "0", "d", *["ctrl+n"] * 6)
        await settle(pilot)
        assert app.crash is None and app.is_running
        assert app.index == REVIEW and app.screen.__class__.__name__ != "Confirm"  # Next never writes
        assert app.query_one("#input-metrics-retention").value == "60d"  # the keys landed where they were typed
        plan = app.query_one(ReviewPane).plan
        assert plan is not None
        assert app.reviewed.metrics.retention == "60d" and "for 60d" in str(app.query_one("#review-summary").render())
        shown = {c.path: c.new for c in plan.changes if c.writes}
        assert nothing_written(repo)
        await choose_write(app, pilot)
        await pilot.press("y")  # write without the 1Password check
        await write_ended(app, pilot)  # the write starts once the dialog has closed
        await settle(pilot)
        assert app.crash is None and app.index == WRITE and app.write_done
    written = {path: (repo / path).read_text() for path in shown}
    assert written == shown  # byte for byte the files Review showed
    assert "retention: 60d" in (repo / "kubernetes/apps/observability/kube-prometheus-stack/app/helmrelease.yaml").read_text()


async def test_a_keystroke_arriving_on_review_is_shown_there_before_it_can_be_written(tmp_path):
    """An edit that reaches a field after Next moved on (type-ahead): Review re-plans from it at once, so
    what Write files writes is always what Review shows; an invalid one is named, and Write is refused."""
    repo = flux_repo(tmp_path / "home-ops")
    app = make_app(repo)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        for _ in range(5):
            await pilot.press("ctrl+n")
        assert app.index == REVIEW
        app.query_one("#input-metrics-retention").value = "30s60d"  # what the old race typed into a hidden field
        await settle(pilot)
        assert app.reviewed is None and "Cannot plan: '30s60d' is not a duration" in str(app.query_one("#review-summary").render())
        await choose_write(app, pilot)
        await settle(pilot)
        assert app.crash is None and app.index == REVIEW and app.screen.__class__.__name__ != "Confirm"
        assert nothing_written(repo)


async def test_an_exception_inside_the_app_is_exit_70_and_no_crash_screen(tmp_path, monkeypatch):
    """Textual's crash screen prints a traceback with local variables (the Connect token, a host URL with a
    password): it is never drawn. The app keeps only the exception's class; run() prints one line (the
    terminal test checks what reaches the screen)."""
    token, host = "ops_CRASHTOKEN_0123456789", "http://user:hunter2pass@127.0.0.1:9"
    monkeypatch.setenv("OP_CONNECT_TOKEN", token)
    monkeypatch.setenv("OP_CONNECT_HOST", host)

    def boom(*args, **kwargs):
        secret = token  # noqa: F841 - a local a traceback with locals would show
        raise RuntimeError(f"forced failure for {host}")

    monkeypatch.setattr("wizard.onepassword.check.check_connect", boom)
    repo = flux_repo(tmp_path / "home-ops")
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    before = snapshot_tree(repo)
    app = make_app(repo)
    with pytest.raises(Exception) as raised:  # noqa: PT011 - run_test re-raises it for the test; run() makes it exit 70
        async with app.run_test(size=(80, 24)) as pilot:
            while app.index < REVIEW:
                await pilot.press("ctrl+n")
            app.query_one("#next", Button).press()  # Write files: Connect is configured, the check runs in the worker
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
    assert "RuntimeError" in repr(raised.value)  # Textual's WorkerFailed around it
    assert app.crash == "RuntimeError" and app.return_code == 70
    assert app._exit_renderables == []  # no traceback is kept to print after the app exits
    assert snapshot_tree(repo) == before


@pytest.mark.parametrize("key", ["pagedown", "pageup", "end", "home", "down", "up"])
async def test_paging_keys_on_welcome_at_80x24_do_not_crash(tmp_path, key):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.focused.id == "start"  # the Welcome's own button, never the folded step list
        await pilot.press(key, key)
        await pilot.pause()
        assert app.crash is None and app.is_running and app.index == 0
        await pilot.press("enter")
        assert app.index == 1 and app.focused.id == "input-cluster-domain"


async def test_enter_on_welcome_starts_step_1_and_the_keys_are_on_the_first_screen(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane, keys, start = app.query_one("#step-0"), app.query_one("#welcome-keys"), app.query_one("#start")
        for widget in (keys, start):  # both visible without scrolling
            assert widget.region.height >= 1 and widget.region.bottom <= pane.region.bottom, widget
        assert "Ctrl+N next step" in str(keys.render())
        assert not app.query_one("#back", Button).display  # nothing to go back to
        await pilot.press("enter")
        assert app.index == 1


async def test_enter_on_a_pick_list_goes_to_the_next_field(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.press(*"example.com", "enter", "3", "enter")
        pick = app.query_one("#pick-cluster-storage_class", Select)
        assert app.focused is pick
        await pilot.press("enter")
        await pilot.pause()
        assert not pick.expanded and app.focused is not pick  # on to the next field (or step), as F1 says
        assert app.index == 2 or app.focused.id.startswith(("input-", "pick-"))


async def test_twenty_ctrl_n_on_a_rerun_with_connect_configured_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("OP_CONNECT_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("OP_CONNECT_TOKEN", "a-token")
    repo = flux_repo(tmp_path / "home-ops")
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    before = snapshot_tree(repo)
    app = make_app(repo)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        presses = 0
        while app.index < REVIEW:
            await pilot.press("ctrl+n")
            presses += 1
        await pilot.press("ctrl+n")
        assert any("Next does not write" in n.message for n in app._notifications)
        for _ in range(20 - presses - 1):
            await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.index == REVIEW and app.screen.__class__.__name__ != "Confirm" and not app.workers
        assert app.focused.id == "next" and str(app.focused.label) == "Write files"  # the deliberate choice, pointed to
    assert snapshot_tree(repo) == before


async def test_no_dead_buttons_after_a_failed_write_and_on_done(tmp_path, monkeypatch):
    monkeypatch.setenv("OP_CONNECT_HOST", "http://127.0.0.1:9")  # nothing listens there: the check fails
    monkeypatch.setenv("OP_CONNECT_TOKEN", "a-token")
    repo = flux_repo(tmp_path / "home-ops")
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        for _ in range(5):
            await pilot.press("ctrl+n")
        await choose_write(app, pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        back, nxt = app.query_one("#back", Button), app.query_one("#next", Button)
        assert app.write_failed and not nxt.display and back.display and str(back.label) == "Back to Review"
        app.query_one("#skip-check", Button).press()  # write without the check
        await pilot.pause()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert app.write_done and nxt.display and not back.display
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.index == DONE and not back.display and str(nxt.label) == "Finish"


def test_done_says_1_file_and_a_rerun_gets_its_own_commit_message(example_answers):
    from wizard.tui.components.done import done_lines

    first = done_lines("~/home-ops", example_answers, ["kubernetes/apps/observability/kustomization.yaml"])
    assert "Written (1 file, all at once):" in first and "(1 files)" not in " ".join(first)
    assert any("feat(observability): kube-prometheus-stack, loki and alloy" in line for line in first)
    rerun = done_lines("~/home-ops", example_answers, [f"kubernetes/apps/observability/loki/app/{n}.yaml" for n in ("a", "b")],
                       rerun=True)
    text = "\n".join(rerun)
    assert rerun[0].startswith("Done. Your changes") and "(2 files)" in text
    assert "feat(observability)" not in text and "chore(observability): update from .obs-wizard/answers.yaml" in text
    single = done_lines("~/home-ops", example_answers, ["kubernetes/apps/observability/loki/app/helmrelease.yaml"], rerun=True)
    assert "(1 file)" in "\n".join(single) and "(1 files)" not in "\n".join(single)


async def test_the_write_step_shows_its_result_and_the_paging_keys_scroll_it(tmp_path):
    from tests.conftest import shared_data
    from wizard.tui.components.write_log import WritePane

    shared_data()
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        while app.index < REVIEW:
            await pilot.press("ctrl+n")
        await choose_write(app, pilot)
        await pilot.press("y")
        await write_ended(app, pilot)  # the write starts once the dialog has closed
        await settle(pilot)
        pane = app.query_one(WritePane)
        assert app.write_done and pane.max_scroll_y > 0  # the log is longer than the screen at 80x24 ...
        assert pane.scroll_y == pane.max_scroll_y  # ... and its last line, the result, is on screen
        assert app.focused.id == "next"  # Enter goes on to Done
        await pilot.press("home")
        await settle(pilot)
        assert pane.scroll_y == 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert pane.scroll_y > 0
        await pilot.press("end")
        await settle(pilot)
        assert pane.scroll_y == pane.max_scroll_y


def test_the_folded_line_counts_as_the_top_line_and_names_the_tool_files():
    from wizard.tui.components.review import folded_line
    from wizard.write.plan import FileChange

    folded = [FileChange("kubernetes/apps/observability/a.yaml", "unchanged", "x", None),
              FileChange("kubernetes/apps/observability/b.yaml", "keep", "x", None),
              FileChange(".obs-wizard/answers.yaml", "create", None, "y", tool_file=True),
              FileChange(".obs-wizard/state.json", "update", "x", "y", tool_file=True),
              FileChange(".obs-wizard/answers.schema.json", "unchanged", "x", None, tool_file=True)]
    assert folded_line(folded) == ("1 unchanged, 1 keep (not listed); .obs-wizard/ to create: answers.yaml; "
                                   ".obs-wizard/ to update: state.json")
