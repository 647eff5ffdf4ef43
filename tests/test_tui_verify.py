"""The wizard's Done screen offers verify: the verify screen runs the checks of ``obs-wizard verify`` against the
fake cluster of tests/verify_cluster.py (real kubectl, Prometheus, Alertmanager and node-exporter behind the fake
API server), showing each check as it reports, then the targets and the summary; an unreachable cluster is one
line on the screen. The wizard reaches Done through its own Write (validation fixed, as in the Write snapshot)."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Switch

from tests.conftest import shared_data
from tests.fake_kube import kubeconfig
from tests.test_tui import DONE, REVIEW, WRITE, fixed_validation, write_without_checking
from tests.test_verify import cluster, platform, repo  # noqa: F401 - fixtures: this module's own platform
from wizard.session import Session
from wizard.tui.app import WizardApp
from wizard.tui.components.verify_screen import VerifyScreen


async def _to_done(app, pilot) -> None:
    await pilot.press("ctrl+n")
    while app.index < REVIEW:
        index = app.index
        await pilot.press("ctrl+n")
        assert app.index == index + 1, f"Next refused on step {index}"
    await write_without_checking(app, pilot)
    assert app.index == WRITE and app.write_done, app.report_lines
    await pilot.press("ctrl+n")
    assert app.index == DONE


async def _verify(app, pilot) -> VerifyScreen:
    app.query_one("#verify-start", Button).press()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, VerifyScreen)
    screen.query_one("#verify-test-alert", Switch).value = False  # no Slack message from this test
    await pilot.pause()
    seen: list[int] = []
    original = screen._checked
    screen._checked = lambda outcomes: (seen.append(len(outcomes)), original(outcomes))
    screen.query_one("#verify-again", Button).press()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert not screen.running and screen.result  # it ran, and ended with a result
    assert str(screen.query_one("#verify-again", Button).label) == "Run again"
    screen.seen = seen
    return screen


@pytest.mark.slow
async def test_done_offers_verify_and_the_screen_shows_each_check_live(platform, cluster, repo, monkeypatch):  # noqa: F811
    monkeypatch.setattr(Session, "validate", lambda self, answers, the_plan, on_check=None: fixed_validation())
    app = WizardApp(Session.open(repo, *shared_data()), repo_label=str(repo))
    async with app.run_test(size=(100, 40)) as pilot:
        await _to_done(app, pilot)
        assert "check it on the cluster from here" in str(app.query_one("#done-verify-hint").render())
        screen = await _verify(app, pilot)
        assert not screen.running and screen.failed is False, "\n".join(line for line, _ in screen.check_lines) + "\n".join(screen.result)
        assert len(screen.seen) > 5 and screen.seen == sorted(screen.seen)  # the checks appeared one by one
        log = str(screen.query_one("#verify-log").render())
        for check in ("flux-helmreleases", "volumes", "pods", "alloy-daemonset", "scrape-targets", "alloy-writes",
                      "loki-ready", "log-search", "grafana"):
            assert f"passed  {check}" in log, log
        assert "skipped test-alert" in log and "--no-test-alert" in log  # switched off: skipped, never passed
        assert "targeted log search:" in log and "the plan's target 30s: within" in log
        assert "verify: " in log and "kubectl context home" in log
        assert f"obs-wizard verify --repo {repo} --wait 10m --no-test-alert" in log
        assert "verify passed" in str(screen.query_one("#verify-stage").render())
        assert "s3cret-grafana-pw" not in log
        await pilot.press("escape")
        assert app.screen is not screen and app.index == DONE and app.is_running


@pytest.mark.slow
async def test_an_unreachable_cluster_is_one_line_on_the_verify_screen(platform, cluster, repo, monkeypatch, tmp_path):  # noqa: F811
    from tests.test_alert_pipeline import free_port

    monkeypatch.setattr(Session, "validate", lambda self, answers, the_plan, on_check=None: fixed_validation())
    app = WizardApp(Session.open(repo, *shared_data()), repo_label=str(repo))
    async with app.run_test(size=(100, 40)) as pilot:
        await _to_done(app, pilot)
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "gone", f"http://127.0.0.1:{free_port()}", "gone")))
        screen = await _verify(app, pilot)
        assert screen.failed is None and screen.check_lines == []
        assert len(screen.result) == 1 and "the cluster of kubectl context gone cannot be reached" in screen.result[0]
        assert "could not be checked" in str(screen.query_one("#verify-stage").render())
