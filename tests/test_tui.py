"""The Textual wizard, driven by Pilot, and its snapshots at 80x24."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import Input, Switch

from tests.conftest import (
    EVERY_CHECK,
    EXAMPLE_ANSWERS,
    ROOT,
    SHARED,
    all_checks_passed,
    flux_repo,
    nothing_written,
    shared_data,
    snapshot_tree,
)
from wizard.answers import answers_file
from wizard.answers.form import steps
from wizard.session import Session
from wizard.tui.app import WizardApp
from wizard.tui.components.conflict_picker import ConflictPicker
from wizard.tui.components.field_row import FieldRow
from wizard.tui.components.review import ReviewPane
from wizard.tui.components.write_log import WritePane

NS = "kubernetes/apps/observability"
CLUSTER = {"cluster.domain": "example.com", "cluster.node_count": "3", "cluster.storage_class": "local-path"}
LAST_FORM = len(steps())
REVIEW, WRITE, DONE = LAST_FORM + 1, LAST_FORM + 2, LAST_FORM + 3


@pytest.fixture
def repo(tmp_path) -> Path:
    return flux_repo(tmp_path / "home-ops")


def make_app(repo: Path, **kwargs) -> WizardApp:
    return WizardApp(Session.open(repo, *shared_data()), repo_label="~/home-ops", **kwargs)


async def fill(app: WizardApp, pilot, values: dict[str, str]) -> None:
    for key, text in values.items():
        widget = app.query_one(f"#input-{key.replace('.', '-')}")
        if isinstance(widget, Switch):
            widget.value = text == "true"
        else:
            widget.value = text
    await pilot.pause()


async def goto_review(app: WizardApp, pilot) -> None:
    await pilot.press("ctrl+n")
    await fill(app, pilot, CLUSTER)
    for _ in range(LAST_FORM):
        await pilot.press("ctrl+n")
        await pilot.pause()
    assert app.index == REVIEW


async def choose_write(app: WizardApp, pilot) -> None:
    """On Review, the deliberate choice: Enter on the Write files button (Ctrl+N never writes)."""
    assert app.index == REVIEW
    app.query_one("#next").focus()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def write_ended(app, pilot) -> None:
    """Wait until the write chosen on Review has ended and the screen has settled on its result. The worker
    starts only once the Confirm dialog has closed, so the workers alone can be complete before it began: wait
    for the write's own outcome, then for its worker, then for Write files' pressed look (Textual's 0.2 s
    ``-active`` class on the button that is Next on the Write step) to be gone and the log to be at its end."""
    for _ in range(400):  # a bound, not a timing: 20 s of pauses on a busy machine
        if app.write_done or app.write_failed:
            break
        await pilot.pause(0.05)
    assert app.write_done or app.write_failed, "the write did not end"
    await app.workers.wait_for_complete()
    nxt = app.query_one("#next")
    for _ in range(400):
        if not nxt.has_class("-active"):
            break
        await pilot.pause(0.05)
    assert not nxt.has_class("-active")
    pane = app.query_one(WritePane)
    for _ in range(400):  # the app scrolls the log to its result after a refresh (WizardApp._show_result)
        if pane.scroll_y == pane.max_scroll_y:
            break
        await pilot.pause(0.05)
    await pilot.pause()


async def write_without_checking(app, pilot) -> None:
    """From Review: Write files, "write without checking" (y), and wait until the write ended (write_ended)."""
    await choose_write(app, pilot)
    await pilot.press("y")
    await write_ended(app, pilot)


async def write_and_finish(app: WizardApp, pilot) -> None:
    """From Review: Write files, confirm writing without Connect, read the kept log, go on to Done."""
    await write_without_checking(app, pilot)
    assert app.index == WRITE and app.write_done  # the report stays until the operator moves on
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert app.index == DONE


async def test_keyboard_navigation_forward_and_back(repo):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.index == 0
        await pilot.press("ctrl+n")
        assert app.index == 1 and app.focused.id == "input-cluster-domain"
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        assert app.index == 2
        await pilot.press("ctrl+b")
        assert app.index == 1
        await pilot.press("escape")  # Escape goes back on later steps
        assert app.index == 0


async def test_typing_validates_beside_the_field_and_marks_the_step(repo):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.press(*"Example..com")
        await pilot.pause()
        row = app.query_one("#row-cluster-domain", FieldRow)
        assert "is not a lower-case DNS name" in str(row.query_one(".field-error").render())
        assert row.has_class("-invalid")
        assert str(app.query_one("#steps").get_option("nav-1").prompt).startswith("✗ Cluster")
        app.query_one("#input-cluster-domain", Input).value = "example.com"
        await pilot.pause()
        assert str(row.query_one(".field-error").render()) == ""


async def test_next_is_refused_on_a_step_with_errors_saying_why(repo):
    app = make_app(repo)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, {"cluster.domain": "example.com", "cluster.node_count": "0"})
        await pilot.press("ctrl+n")
        assert app.index == 1
        (notification,) = app._notifications
        assert "Fix this step first" in notification.message
        assert "must be at least 1" in notification.message and "Input should" not in notification.message


async def test_a_cross_field_rule_blocks_its_step(repo):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        await fill(app, pilot, {"metrics.pvc_size": "20Gi", "metrics.retention_size": "25GB"})
        assert "retention_size 25GB is larger than pvc_size 20Gi" in str(app.query_one("#step-error-2").render())
        await pilot.press("ctrl+n")
        assert app.index == 2


async def test_sizing_estimate_updates_live(repo):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        sizing = app.query_one("#sizing")
        assert "~13.1Gi for 30d" in str(sizing.render())
        await fill(app, pilot, {"metrics.retention": "90d", "metrics.pvc_size": "10Gi"})
        assert "~39.4Gi for 90d" in str(sizing.render()) and "below the estimated need" in str(sizing.render())


async def test_with_kube_prometheus_stack_off_no_prometheus_lines_anywhere(repo):
    from wizard.render.sizing import NO_HEARTBEAT, NO_METRICS

    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, {**CLUSTER, "apps.kube_prometheus_stack": "false"})
        await pilot.press("ctrl+n")
        live = str(app.query_one("#sizing").render()).replace("\n", " ")
        assert NO_METRICS.split(":")[0] in live and "Prometheus disk" not in live and "Loki: logs kept 7d" in live
        for _ in range(LAST_FORM - 1):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert app.index == REVIEW
        summary = str(app.query_one("#review-summary").render())
        files = app.query_one("#review-files")
        prompts = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        assert not [p for p in prompts if "kube-prometheus-stack/" in p] and "+ loki/app/helmrelease.yaml" in prompts
        flat = summary.replace("\n", " ")
        assert "Prometheus disk" not in flat and "Alert -> Slack" not in flat and NO_HEARTBEAT[:40] not in flat
        assert "is off: no Prometheus, Alertmanager" in flat
        await choose_write(app, pilot)  # no ExternalSecret is written, so Connect is not asked for
        assert app.screen.__class__.__name__ != "Confirm"
        await app.workers.wait_for_complete()
        await pilot.pause()
        log = str(app.query_one("#write-log").render())
        assert app.index == WRITE and "1Password check: not needed: kube-prometheus-stack is off" in log.replace("\n", " ")


@pytest.mark.parametrize("key", ["ctrl+q", "escape"])
async def test_quit_asks_first_and_leaves_the_repo_untouched(repo, key):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        assert app.screen.__class__.__name__ == "Confirm"
        await pilot.press("escape")  # "No": stay
        await pilot.pause()
        assert app.screen.__class__.__name__ != "Confirm" and app.is_running
        await pilot.press(key)
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
    assert app.return_value == 130
    assert nothing_written(repo)


async def test_review_shows_the_plan_and_nothing_is_written_before_confirming(repo):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        summary = str(app.query_one("#review-summary").render())
        assert f"In {NS}/:" in str(app.query_one("#review-counts").render())
        files = app.query_one("#review-files")
        prompts = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        assert "+ loki/app/helmrelease.yaml" in prompts
        assert app.query_one(ReviewPane).diff_text().startswith("--- /dev/null")
        assert "Alert -> Slack: 2m40s worst case" in summary
        assert "nothing tells you" in summary  # no heartbeat configured: said on Review
        assert nothing_written(repo)
        await choose_write(app, pilot)  # Connect not configured: confirm
        assert app.screen.__class__.__name__ == "Confirm"
        await pilot.press("n")
        await pilot.pause()
        assert app.index == REVIEW and nothing_written(repo)


async def test_full_run_writes_the_expected_files(repo, all_tools):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        await write_without_checking(app, pilot)
        assert app.index == WRITE  # the log stays on screen until the operator moves on
        log = str(app.query_one("#write-log").render())
        assert all_checks_passed(log.replace("✓ validation:", "validation:")) and f"✓ {NS}/loki/ks.yaml" in log
        assert app.report_lines == log.splitlines()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.index == DONE
        done = str(app.query_one("#done-text").render())
        assert "git add kubernetes/apps/observability .obs-wizard" in done
        assert "no heartbeat is configured" in done and "nothing tells you" in done.replace("\n", " ")
        await pilot.press("ctrl+n")
    assert app.return_value == 0
    for golden in (ROOT / "kubernetes").rglob("*.yaml"):
        if golden.name != "flux-alerts.yaml":  # it also watches the repo's namespaces (tests/test_platform.py)
            assert (repo / golden.relative_to(ROOT)).read_text() == golden.read_text()
    saved = answers_file.load(repo / ".obs-wizard/answers.yaml")
    from wizard.repo import app_namespaces

    assert saved == app_namespaces.with_found_namespaces(answers_file.load(EXAMPLE_ANSWERS), app_namespaces.discover(repo))


async def test_check_now_shows_each_connect_check(repo, monkeypatch):
    from tests.fake_connect import FakeConnect, Vault, login_item, secure_note

    webhook = "https://hooks.slack.com/services/T0FAKEFAK/B0FAKEFAK/abcdefghijklmnopqrstuvwx"
    vault = Vault("Kubernetes", [login_item("grafana", "admin", "pw-not-shown"), secure_note("alertmanager", SLACK_WEBHOOK_URL=webhook)])
    with FakeConnect([vault], "tui-token") as server:
        app = make_app(repo)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+n")
            await fill(app, pilot, CLUSTER)
            for _ in range(3):
                await pilot.press("ctrl+n")
            assert app.index == 4
            token = app.query_one("#connect-token", Input)
            assert token.password  # masked
            await fill(app, pilot, {})
            app.query_one("#connect-host", Input).value = server.url
            token.value = "tui-token"
            await pilot.pause()
            app.query_one("#check-now").press()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            results = str(app.query_one("#check-results").render())
            assert "✓ Connect reachable" in results and "✓ token accepted" in results
            assert results.endswith("✓ all checks passed")
            needs = str(app.query_one("#secrets-needs").render())  # each vault, item and label: its status
            assert "✓ found          label SLACK_WEBHOOK_URL" in needs and "✓ found       vault Kubernetes" in needs
            for text in (results, needs):
                assert webhook not in text and "pw-not-shown" not in text and "tui-token" not in text


async def test_conflicts_are_picked_per_path_on_review(repo, tmp_path):
    from tests.conftest import run_cli

    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    helmrelease = repo / NS / "loki/app/helmrelease.yaml"
    helmrelease.write_text(helmrelease.read_text().replace("size: 10Gi", "size: 15Gi"))
    app = make_app(repo)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.press("ctrl+n")
        assert app.query_one("#input-cluster-domain", Input).value == "example.com"  # saved answers filled in
        for _ in range(LAST_FORM - 1):
            await pilot.press("ctrl+n")
        # change the Loki volume on the Retention step too: both sides changed the same value
        await pilot.press("ctrl+b", "ctrl+b", "ctrl+b")
        await fill(app, pilot, {"logs.pvc_size": "20Gi"})
        for _ in range(4):
            await pilot.press("ctrl+n")
        assert app.index == REVIEW
        (picker,) = app.query(ConflictPicker)
        assert picker.conflict.path == "spec.values.singleBinary.persistence.size"
        await choose_write(app, pilot)
        assert app.index == REVIEW and app.screen.__class__.__name__ != "Confirm"  # refused until picked
        before = snapshot_tree(repo)
        picker.query("RadioButton").last().value = True  # take new: 20Gi
        await pilot.pause()
        assert snapshot_tree(repo) == before
        await write_and_finish(app, pilot)
    assert "size: 20Gi" in helmrelease.read_text()


# --- snapshots at 80x24 ------------------------------------------------------------------------


def _quiet_cursor(app: WizardApp) -> None:
    for widget in app.query(Input):
        widget.cursor_blink = False


def snapshot_app(tmp_path: Path, shared: Path = SHARED) -> WizardApp:
    repo = tmp_path / "home-ops"
    if not repo.exists():
        flux_repo(repo)
    return WizardApp(Session.open(repo, shared / "crds", shared / "charts"), repo_label="~/home-ops")


STEP_NAMES = ["welcome", "cluster", "retention", "grafana", "secrets", "advanced", "review"]


@pytest.mark.parametrize("index", range(len(STEP_NAMES)), ids=STEP_NAMES)
def test_snapshot_each_step(snap_compare, tmp_path, index):
    async def run_before(pilot) -> None:
        app = pilot.app
        _quiet_cursor(app)
        if index:
            await pilot.press("ctrl+n")
            await fill(app, pilot, CLUSTER)
            for _ in range(index - 1):
                await pilot.press("ctrl+n")
            _quiet_cursor(app)
            await pilot.pause()

    assert snap_compare(snapshot_app(tmp_path), run_before=run_before, terminal_size=(80, 24))


def fixed_validation(strict: bool = False):
    """A validation report that is the same on every machine (which tools and upstream data a machine has
    changes the real one, line by line): every check passed but promtool, skipped with its remedy. The
    snapshot is of the Write step's layout; test_full_run_writes_the_expected_files runs the real checks."""
    from wizard.validate.findings import Finding, Report

    report = Report(checks_run=[name for name in EVERY_CHECK if name != "promtool"], strict=strict)
    report.add(Finding("skipped", "promtool", "promtool is not installed (apt-get install prometheus)"))
    return report


def test_snapshot_write_and_done(snap_compare, tmp_path, monkeypatch):
    monkeypatch.setattr(Session, "validate", lambda self, answers, the_plan, on_check=None: fixed_validation())

    async def run_before(pilot) -> None:
        app = pilot.app
        await goto_review(app, pilot)
        await write_without_checking(app, pilot)
        assert app.write_done and app.focused is app.query_one("#next")
        pane = app.query_one(WritePane)
        assert pane.scroll_y == pane.max_scroll_y > 0  # the log follows its newest line: at its end

    assert snap_compare(snapshot_app(tmp_path), run_before=run_before, terminal_size=(80, 24))


def failing_validation(self, answers, the_plan, on_check=None):
    """Session.validate with one kustomize error besides fixed_validation()."""
    from wizard.validate.findings import Finding

    report = fixed_validation()
    report.add(Finding("error", "kustomize", "accumulating resources: 'missing.yaml' does not exist",
                       file="kubernetes/apps/observability/loki/app/kustomization.yaml"))
    return report


async def test_a_failed_write_shows_its_result_at_80x24(tmp_path, monkeypatch):
    """A failed write at 80x24: the failing check, the verdict and what to do are in view (the log ends on
    them), not below the fold (issue 22 item 1)."""
    monkeypatch.setattr(Session, "validate", failing_validation)
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        await write_without_checking(app, pilot)
        assert app.write_failed and not (tmp_path / "home-ops" / "kubernetes/apps/observability").exists()
        pane = app.query_one(WritePane)
        assert pane.max_scroll_y > 0 and pane.scroll_y == pane.max_scroll_y  # the log is longer than the screen: at its end
        shown = app.export_screenshot()
        for text in ("FAILED  kustomize: 1 error(s)", "nothing was written. Go back and fix the answers", "Back to Review"):
            assert text in re.sub(r"<[^>]+>", "", shown).replace("&#160;", " "), text
        assert app.focused is app.query_one("#back")


def test_snapshot_write_failed(snap_compare, tmp_path, monkeypatch):
    """The picture of a failed write at 80x24: the result in view, Back to Review the way on."""
    monkeypatch.setattr(Session, "validate", failing_validation)

    async def run_before(pilot) -> None:
        app = pilot.app
        await goto_review(app, pilot)
        await write_without_checking(app, pilot)
        assert app.write_failed and app.focused is app.query_one("#back")
        pane = app.query_one(WritePane)
        assert pane.scroll_y == pane.max_scroll_y > 0  # the log ends on the result

    assert snap_compare(snapshot_app(tmp_path), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_invalid_field_light_theme(snap_compare, tmp_path):
    async def run_before(pilot) -> None:
        await pilot.press("ctrl+n")
        await fill(pilot.app, pilot, {"cluster.domain": "Example..com", "cluster.node_count": "0"})
        _quiet_cursor(pilot.app)

    app = WizardApp(Session.open(flux_repo(tmp_path), SHARED / "crds", SHARED / "charts"), repo_label="~/home-ops",
                    theme_name="textual-light")  # no validation runs: the snapshot needs no ../shared
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_snapshot_no_color(snap_compare, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot) -> None:
        await pilot.press("ctrl+n")
        await fill(pilot.app, pilot, {"cluster.domain": "example.com"})
        _quiet_cursor(pilot.app)

    assert snap_compare(snapshot_app(tmp_path), run_before=run_before, terminal_size=(80, 24))


async def test_the_mouse_works_too(repo):
    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#next")
        await pilot.pause()
        assert app.index == 1
        await fill(app, pilot, CLUSTER)
        await pilot.click("#next")
        await pilot.pause()
        assert app.index == 2
        await pilot.click("#back")
        await pilot.pause()
        assert app.index == 1
        steps_list = app.query_one("#steps")
        steps_list.highlighted = 3
        steps_list.action_select()
        await pilot.pause()
        assert app.index == 3  # Cluster is valid, so jumping ahead to Grafana exposure is allowed


async def test_a_file_deleted_by_hand_is_recreated_only_when_chosen(repo):
    from tests.conftest import run_cli
    from wizard.tui.components.file_choice import FileChoice

    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    route = repo / NS / "kube-prometheus-stack/app/httproute.yaml"
    route.unlink()
    app = make_app(repo)
    async with app.run_test(size=(80, 40)) as pilot:
        for _ in range(LAST_FORM + 1):
            await pilot.press("ctrl+n")
        assert app.index == REVIEW
        (choice,) = app.query(FileChoice)
        assert choice.file == f"{NS}/kube-prometheus-stack/app/httproute.yaml"
        await choose_write(app, pilot)
        assert app.index == REVIEW and not route.exists()  # refused until chosen
        choice.query("RadioButton").last().value = True  # recreate it
        await pilot.pause()
        await write_and_finish(app, pilot)
    assert route.exists()


async def test_a_hand_written_app_is_adopted_only_when_chosen(repo):
    from wizard.tui.components.file_choice import FileChoice

    app_dir = repo / NS / "loki"
    (app_dir / "app").mkdir(parents=True)
    for rel in ("ks.yaml", "app/kustomization.yaml", "app/ocirepository.yaml", "app/helmrelease.yaml"):
        (app_dir / rel).write_text((ROOT / NS / "loki" / rel).read_text())
    (app_dir / "ks.yaml").write_text((app_dir / "ks.yaml").read_text().replace("interval: 1h", "interval: 30m"))
    app = make_app(repo)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        for _ in range(LAST_FORM):
            await pilot.press("ctrl+n")
        choices = list(app.query(FileChoice))
        assert [c.file for c in choices] == [f"{NS}/loki/ks.yaml"]  # the identical files merge without a question
        choices[0].query("RadioButton").first().value = True  # adopt
        await pilot.pause()
        (picker,) = app.query(ConflictPicker)
        assert picker.conflict.path == "spec.interval"
        picker.query("RadioButton").first().value = True  # keep 30m
        await pilot.pause()
        await write_and_finish(app, pilot)
    assert "interval: 30m" in (app_dir / "ks.yaml").read_text()
