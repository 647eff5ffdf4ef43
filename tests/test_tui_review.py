"""The wizard's Review and Write at 80x24: conflicts settled on screen (the diff after each choice is
the bytes written), a Connect that is down skipped and remembered, Back after a failed write."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from textual.widgets import Button, Input, RadioButton

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, run_cli
from tests.test_tui import LAST_FORM, NS, REVIEW, WRITE, choose_write, fill, goto_review, make_app, write_and_finish
from wizard.tui.components.conflict_picker import ConflictPicker
from wizard.tui.components.review import ReviewPane
from wizard.tui.components.write_log import WritePane

KPS = f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"


@pytest.fixture
def edited_repo(tmp_path) -> Path:
    """A repo written by obs-wizard, then retention and retentionSize edited by hand."""
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    path = repo / KPS
    text = path.read_text()
    assert "retention: 30d" in text and "retentionSize: 25GB" in text
    path.write_text(text.replace("retention: 30d", "retention: 45d").replace("retentionSize: 25GB", "retentionSize: 20GB"))
    return repo


async def review_with_conflicts(app, pilot) -> None:
    """Saved answers are filled in; change retention and the size cap too, then go to Review."""
    await pilot.press("ctrl+n", "ctrl+n")
    await fill(app, pilot, {"metrics.retention": "60d", "metrics.retention_size": "22GB"})
    for _ in range(LAST_FORM - 1):
        await pilot.press("ctrl+n")
        await pilot.pause()
    assert app.index == REVIEW


def shown_diff_is_planned_bytes(app) -> str:
    """The diff on screen is exactly old -> the bytes the plan will write for that file."""
    review = app.query_one(ReviewPane)
    change = review.change(KPS)
    assert review.selected == KPS
    assert review.diff_text() == change.diff()  # recomputed after the choice
    if change.action != "conflict":  # settled: old -> exactly the bytes the write will put there
        assert review.diff_text() == "".join(difflib.unified_diff(
            change.old.splitlines(keepends=True), (change.new or change.old).splitlines(keepends=True),
            fromfile=f"a/{KPS}", tofile=f"b/{KPS}"))
    return review.diff_text()


def diff_against_disk(old: str, repo: Path) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), (repo / KPS).read_text().splitlines(keepends=True),
                                        fromfile=f"a/{KPS}", tofile=f"b/{KPS}"))


def pick(picker: ConflictPicker, side: str) -> None:
    next(b for b in picker.query(RadioButton) if b.name == side).value = True


@pytest.mark.parametrize("side", ["ours", "theirs"])
async def test_each_side_per_value_and_the_diff_is_what_is_written(edited_repo, side):
    app = make_app(edited_repo)
    old = (edited_repo / KPS).read_text()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await review_with_conflicts(app, pilot)
        pickers = list(app.query(ConflictPicker))
        assert sorted(p.conflict.path for p in pickers) == ["spec.values.prometheus.prometheusSpec.retention",
                                                              "spec.values.prometheus.prometheusSpec.retentionSize"]
        assert pickers[0].region.y < app.query_one("#review-counts").region.y  # at the top of Review
        shown = []
        for picker in pickers:
            pick(picker, side)
            await pilot.pause()
            shown.append(shown_diff_is_planned_bytes(app))
        await write_and_finish(app, pilot)
    text = (edited_repo / KPS).read_text()
    if side == "ours":
        assert "retention: 45d" in text and "retentionSize: 20GB" in text
    else:
        assert "retention: 60d" in text and "retentionSize: 22GB" in text
    assert diff_against_disk(old, edited_repo) == shown[-1]


@pytest.mark.parametrize(("button", "kept"), [("#keep-all-mine", ("45d", "20GB")), ("#take-all-new", ("60d", "22GB"))])
async def test_keep_all_mine_and_take_all_new(edited_repo, button, kept):
    app = make_app(edited_repo)
    old = (edited_repo / KPS).read_text()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await review_with_conflicts(app, pilot)
        pick(app.query(ConflictPicker).first(), "theirs" if button == "#keep-all-mine" else "ours")  # the other way first
        await pilot.pause()
        app.query_one(button, Button).press()
        await pilot.pause()
        assert not app.plan.conflicts
        wanted = "ours" if button == "#keep-all-mine" else "theirs"
        assert all(p.chosen == wanted for p in app.query(ConflictPicker))
        assert "every conflict settled" in str(app.query_one("#conflicts-title").render())
        shown = shown_diff_is_planned_bytes(app)
        await write_and_finish(app, pilot)
    text = (edited_repo / KPS).read_text()
    assert f"retention: {kept[0]}" in text and f"retentionSize: {kept[1]}" in text
    assert diff_against_disk(old, edited_repo) == shown


async def test_review_lists_the_changed_answers_first(edited_repo):
    app = make_app(edited_repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await review_with_conflicts(app, pilot)
        summary = str(app.query_one("#review-summary").render())
        assert "Metrics retention 30d -> 60d" in summary
        files = app.query_one("#review-files")
        assert [files.get_option_at_index(i).id for i in range(files.option_count)] == [KPS]  # unchanged files folded
        assert "15 unchanged, 1 keep (not listed)" in str(app.query_one("#review-folded").render())  # as the top line counts


async def test_a_connect_that_is_down_can_be_skipped_and_the_skip_is_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("OBS_WIZARD_CONNECT_TIMEOUT", "1")
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        await pilot.press("ctrl+b")
        await pilot.pause()
        # nothing listens there; the user name and password in the URL are never shown
        app.query_one("#connect-host", Input).value = "http://ops:hunter2-in-url@127.0.0.1:9"
        app.query_one("#connect-token", Input).value = "token"
        await pilot.press("ctrl+n")
        await pilot.pause()
        await choose_write(app, pilot)  # the check runs and Connect is down
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.index == WRITE and not (repo / "kubernetes/apps/observability").exists()
        log = "\n".join(app.query_one(WritePane).log_lines)
        assert "cannot be reached: nothing was written" in log
        assert "hunter2-in-url" not in log and "ops:" not in log
        skip = app.query_one("#skip-check", Button)
        assert skip.display and app.focused is skip
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        done = "\n".join(app.done_text)
        assert "Connect at http://127.0.0.1:9 was unreachable (you chose Skip)" in done
        assert "Skipped checks (not passed" in done
        assert "hunter2-in-url" not in done
    assert (repo / NS / "loki/app/helmrelease.yaml").exists()


async def test_the_skip_is_repeated_on_review(tmp_path, monkeypatch):
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        app.skipped.append("1Password items not checked: Connect at http://x was unreachable (you chose Skip)")
        await pilot.press("ctrl+b")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "Connect at http://x was unreachable" in str(app.query_one("#review-summary").render())


async def test_back_after_a_failed_write_goes_to_review_with_the_sidebar(tmp_path):
    from tests.fake_connect import FakeConnect, Vault

    repo = tmp_path / "home-ops"
    flux_repo(repo)
    with FakeConnect([Vault("Kubernetes", [])], "tok") as server:  # the items are missing: the check fails
        app = make_app(repo)
        async with app.run_test(size=(80, 24)) as pilot:
            await goto_review(app, pilot)
            await pilot.press("ctrl+b")
            await pilot.pause()
            app.query_one("#connect-host", Input).value = server.url
            app.query_one("#connect-token", Input).value = "tok"
            await pilot.press("ctrl+n")
            await pilot.pause()
            await choose_write(app, pilot)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.index == WRITE and app.query_one("#back", Button).display
            assert not app.query_one("#next", Button).display  # no dead Next after a failed write
            assert not app.query_one("#skip-check", Button).display  # reachable: nothing to skip
            await pilot.press("ctrl+b")
            await pilot.pause()
            assert app.index == REVIEW
            assert app.query_one("#panes").current == f"step-{REVIEW}"
            steps = app.query_one("#steps")
            assert steps.highlighted == REVIEW
            assert str(steps.get_option(f"nav-{REVIEW}").prompt).startswith("▸ Review")
            assert str(steps.get_option(f"nav-{WRITE}").prompt).startswith("  Write")
    assert not (repo / "kubernetes/apps/observability").exists()


@pytest.mark.parametrize("theme", ["dark", "light", "no_color"])
def test_snapshot_conflicts_at_the_top_of_review(snap_compare, edited_repo, monkeypatch, theme):
    from tests.test_tui import _quiet_cursor, snapshot_app

    if theme == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app(edited_repo.parent)  # the hand-edited repo
    if theme == "light":
        app.theme = "textual-light"

    async def run_before(pilot) -> None:
        await review_with_conflicts(pilot.app, pilot)
        pick(next(iter(pilot.app.query(ConflictPicker))), "ours")  # one settled, one still open
        await pilot.pause()
        _quiet_cursor(pilot.app)

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


async def test_review_says_how_the_files_are_written_in_the_repos_own_dialect(tmp_path):
    """Issue 20: the dialect learned from the repo's apps, the CRD owner and each dependsOn, on Review as the
    plain prompts and headless runs print them before the plan."""
    from tests.era_repos import era_2026
    from tests.test_tui import LAST_FORM, REVIEW, fill, make_app

    repo = era_2026(tmp_path / "repo")
    app = make_app(repo)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, {"cluster.node_count": "3"})
        for _ in range(LAST_FORM):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert app.index == REVIEW
        text = str(app.query_one("#review-summary").render())
        assert "How the files are written:" in text
        assert "dialect: ks.yaml like default/echo" in text
        assert "Prometheus Operator CRDs: installed once at bootstrap by" in text
        assert "kube-prometheus-stack dependsOn external-secrets/onepassword-connect" in text
