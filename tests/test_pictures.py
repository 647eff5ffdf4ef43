"""The pictures (issue 13): the platform diagram, the disk chart and the alert-latency bar.

Their data comes from the answers (wizard/render/platform_map.py, wizard/render/sizing.py), drawn without Textual
(wizard/render/boxart.py) and shown by Textual widgets; Pilot tests change the answers and watch them follow.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import MINIMAL_ANSWERS, ROOT, flux_repo, run_cli
from tests.test_tui import CLUSTER, LAST_FORM, REVIEW, _quiet_cursor, fill, goto_review, make_app, snapshot_app
from wizard.answers import answers_file, units
from wizard.render import bars, boxart, platform_map, sizing

BOX_CHARS = set("╭╮╰╯─│┌┐└┘╌┆▶◀▼▲┬├")


def parse(extra: str = ""):
    return answers_file.parse(MINIMAL_ANSWERS + extra, "a.yaml")


def art(answers, width: int = 76, ascii: bool = False) -> str:
    return boxart.plain(boxart.draw(platform_map.platform_map(answers), width, ascii=ascii))


# --- the diagram's data and drawing, without Textual ------------------------------------------------


def test_the_diagram_names_come_from_the_answers():
    answers = parse("grafana:\n  hostname: dash.home.arpa\n  gateway_name: external\n  gateway_namespace: network\n"
                    "  gateway_section: web-tls\nsecrets:\n  vault: Homelab\n  store: op-store\n  grafana_item: gf-admin\n"
                    "alerting:\n  slack_channel: '#pager'\n")
    pmap = platform_map.platform_map(answers)
    assert pmap.box("route").lines[:3] == ("dash.home.arpa", "network/external", "listener web-tls")
    assert pmap.box("slack").lines == ("#pager",)
    assert pmap.box("onepassword").lines == ("vault Homelab", "store op-store")
    assert "grafana-admin <- gf-admin" in pmap.box("externalsecrets").lines
    assert pmap.box("alloy").lines == ("each node", "(3 nodes)")
    drawn = art(answers)
    for name in ("dash.home.arpa", "network/external", "listener web-tls", "#pager", "vault Homelab", "gf-admin"):
        assert name in drawn.replace("│\n│ ", "")  # wrapped or not, the name is there
    assert all(len(line) <= 76 for line in drawn.splitlines())


def test_switched_off_parts_are_drawn_marked_off():
    full = platform_map.platform_map(parse())
    assert full.off() == ["heartbeat"]  # no heartbeat item: the one part off by default
    no_logs = platform_map.platform_map(parse("apps:\n  loki: false\n  alloy: false\nsecrets:\n  heartbeat_item: hb\n"))
    assert no_logs.off() == ["Alloy", "Loki"]
    assert not next(lk for lk in no_logs.links if lk.target == "loki").on
    assert "heartbeat (off)" not in art(parse("secrets:\n  heartbeat_item: hb\n"))
    drawn = art(parse("apps:\n  kube_prometheus_stack: false\n"))
    for title in ("Grafana", "HTTPRoute", "Prometheus", "Alertmanager", "Slack", "heartbeat", "1Password", "ExternalSecrets"):
        assert f"{title} (off)" in drawn
    assert "Loki (off)" not in drawn and "Alloy (off)" not in drawn


def test_the_diagram_fits_80_columns_and_stacks_when_narrower():
    long_host = parse("grafana:\n  hostname: grafana.a-rather-long-homelab-domain.example.org\n")
    for answers in (parse(), long_host):
        lines = art(answers).splitlines()
        assert max(map(len, lines)) <= 76 and "───▶" in art(answers)
    narrow = art(parse(), width=40)
    assert max(map(len, narrow.splitlines())) <= 40 and "▼" in narrow  # stacked, arrows pointing down


def test_ascii_mode_draws_without_box_characters():
    drawn = art(parse(), ascii=True)
    assert not BOX_CHARS & set(drawn) and "--->" in drawn and "<---" in drawn
    assert "heartbeat (off)" in drawn


def test_the_headless_path_stays_free_of_textual():
    code = ("import sys; from wizard import headless; from wizard.render import boxart, platform_map, sizing; "
            "assert not [m for m in sys.modules if m.startswith('textual')], 'textual imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_first_run_draft_shows_what_is_known():
    from wizard.answers.form import Draft

    pmap = platform_map.from_draft(Draft({"grafana": {"gateway_name": "edge"}}))
    assert pmap.box("route").lines[:2] == ("grafana.<domain>", "kube-system/edge")
    assert pmap.box("alloy").lines == ("each node", "(DaemonSet)")


# --- in the wizard ------------------------------------------------------------------------------------


async def diagram_drawn(pilot) -> None:
    """Welcome's diagram is drawn once the answers are loaded, just after the first frame: wait until it is laid out."""
    for _ in range(100):
        if pilot.app.query_one("#welcome-diagram").size.height > 0:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    assert pilot.app.query_one("#welcome-diagram").size.height > 0


def diagram_text(app, where: str) -> str:
    return str(app.query_one(f"#{where}-diagram").render())


async def test_the_diagram_follows_the_answers_on_welcome_and_review(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await diagram_drawn(pilot)
        assert "Loki (off)" not in diagram_text(app, "welcome") and "internal" in diagram_text(app, "welcome")
        await pilot.press("ctrl+n")
        await fill(app, pilot, {**CLUSTER, "apps.alloy": "false"})
        await pilot.press("ctrl+n", "ctrl+n")  # Retention -> Grafana
        await pilot.pause()
        await fill(app, pilot, {"grafana.hostname": "dash.example.com", "grafana.gateway_name": "edge",
                                "grafana.gateway_section": "web", "grafana.gateway_outside_repo": "true"})
        for _ in range(3):
            await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.index == 0
        welcome = diagram_text(app, "welcome")
        shown = app.query_one("#welcome-diagram").pmap
        assert shown.box("route").lines[:3] == ("dash.example.com", "kube-system/edge", "listener web")
        assert "dash.example." in welcome and "listener web" in welcome and "(3 nodes)" in welcome
        assert "Alloy (off)" in welcome and "Loki (off)" not in welcome
        for _ in range(LAST_FORM + 1):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert app.index == REVIEW
        review = diagram_text(app, "review")
        assert review == welcome and "Alloy (off)" in review


async def test_on_the_linux_console_the_pictures_are_ascii(tmp_path, monkeypatch):
    monkeypatch.setenv("TERM", "linux")
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        await pilot.pause()
        chart = str(app.query_one("#disk-chart").render())
        assert "#" in chart and not set("█▏░") & set(chart)
        for _ in range(2):
            await pilot.press("ctrl+b")
        await pilot.pause()
        welcome = diagram_text(app, "welcome")
        assert "--->" in welcome and "heartbeat (off)" in welcome and not BOX_CHARS & set(welcome)


# --- the disk chart and the latency bar: sizing's figures, the headless summary's ------------------------


def test_the_chart_draws_sizings_figures_and_the_cut_by_the_cap():
    answers = parse("metrics:\n  retention: 90d\n  pvc_size: 20Gi\n")
    disk = sizing.prometheus_disk(answers)
    chart = bars.plain(bars.disk_lines(answers, 76))
    assert f"~{sizing.gib_text(disk.bytes_needed)}" in chart and f"~{sizing.days_text(disk.days_kept)} of 90d" in chart
    assert "░" in chart and "deletes the oldest data" in chart  # the part the cap deletes is drawn apart
    assert "░" not in bars.plain(bars.disk_lines(parse(), 76))
    loki = bars.plain(bars.disk_lines(parse("logs:\n  pvc_size: 21Gi\n"), 76))
    assert "holds at most ~3.0Gi of stored logs a day" in loki  # 21Gi over 7 days
    assert "Prometheus" not in bars.plain(bars.disk_lines(parse("apps:\n  kube_prometheus_stack: false\n"), 76))
    ascii = bars.plain(bars.disk_lines(answers, 60, ascii=True))
    assert "#" in ascii and not set("█░▏") & set(ascii)
    assert max(len(line) for line in ascii.splitlines() if "#" in line) <= 60  # bar rows fit; sentences wrap


def test_lokis_use_is_projected_only_from_the_operators_daily_estimate(tmp_path):
    """No cited figure exists for how much pods log: without logs.daily_volume nothing is projected; with it,
    the chart, the summary and the warnings agree on the use and on when the volume fills."""
    plain = bars.plain(bars.disk_lines(parse(), 76))
    assert "use after 7d" not in plain and "Stored logs a day" in plain
    fits = parse("logs:\n  daily_volume: 1Gi\n")  # 7Gi over 7 days on 10Gi
    chart = bars.plain(bars.disk_lines(fits, 76))
    assert "your estimate: 1Gi a day" in chart and "use after 7d" in chart and "~7.0Gi" in chart and "fills" not in chart
    assert any("Loki disk: ~7.0Gi for 7d at 1Gi a day (your estimate); volume 10Gi" in line for line in sizing.summary(fits))
    assert not [w for w in sizing.warnings(fits) if "Loki" in w]
    over = parse("logs:\n  daily_volume: 2Gi\n  retention: 14d\n")  # 28Gi over 14 days on 10Gi: full after 5 days
    chart = bars.plain(bars.disk_lines(over, 76))
    assert "~28.0Gi" in chart and "░" in chart and "the volume fills after ~5 days: Loki's writes then fail" in chart
    (warning,) = [w for w in sizing.warnings(over) if "Loki" in w]
    assert "fills after ~5 days" in warning and "Stored logs a day" in warning
    off = parse("logs:\n  daily_volume: 2Gi\n  retention: 14d\napps:\n  kube_prometheus_stack: false\n")
    assert [w for w in sizing.warnings(off) if "Loki" in w] == [warning]  # said with kube-prometheus-stack off too
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS + "logs:\n  daily_volume: 2Gi\n  retention: 14d\n")
    result = run_cli("--answers", answers, "--repo", flux_repo(tmp_path / "repo"), "--dry-run", "--skip-secret-check")
    assert result.code == 0, result
    flat = " ".join((result.out + result.err).split())
    assert "Loki disk: ~28.0Gi for 14d at 2Gi a day" in flat and "fills after ~5 days" in flat


def test_the_latency_bar_is_the_budgets_parts_against_the_target():
    for extra in ("", "alerting:\n  rule_for: 3m\n", "metrics:\n  scrape_interval: 5s\n"):
        budget = sizing.alert_latency(parse(extra))
        segments = bars.latency_segments(budget, 72)
        assert [name for name, _, _ in segments] == ["scrape", "scrape timeout", "evaluation", "for", "group_wait"]
        assert sum(seconds for _, seconds, _ in segments) == budget.total
        assert sum(cells for _, _, cells in segments) == round(budget.total / max(budget.total, 180) * 72)
        drawn = bars.plain(bars.latency_lines(parse(extra), 76))
        assert f"worst case {units.format_seconds(budget.total)}, {'within' if budget.within_target else 'over'}" in drawn
        assert "┃" in drawn  # the target, inside the bar when the budget is over it
    assert bars.latency_lines(parse("apps:\n  kube_prometheus_stack: false\n"), 76) == []


def summary_days_kept(result_out: str) -> str:
    return re.search(r"size cap \S+ keeps ~(\d+ (?:days|hours))", result_out).group(1)


async def test_the_chart_follows_the_fields_and_agrees_with_the_headless_summary(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await fill(app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        chart = app.query_one("#disk-chart")
        assert "~13.1Gi" in str(chart.render()) and "~30 days of 30d" in str(chart.render())
        await fill(app, pilot, {"metrics.retention": "90d", "metrics.pvc_size": "20Gi"})
        live = str(chart.render())
        assert "use after 90d" in live and "~39.4Gi" in live and "20Gi" in live
        shown_days = re.search(r"~(\d+ days) of 90d", live).group(1)
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS + "metrics:\n  retention: 90d\n  pvc_size: 20Gi\n")
    result = run_cli("--answers", answers, "--repo", flux_repo(tmp_path / "repo"), "--dry-run", "--skip-secret-check")
    assert result.code == 0, result
    assert shown_days == summary_days_kept(result.out) == "39 days"  # the one estimate, headless summary included


async def test_the_latency_bar_on_review_sums_to_the_printed_worst_case(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_review(app, pilot)
        printed = re.search(r"Alert -> Slack: (\S+) worst case", str(app.query_one("#review-summary").render())).group(1)
        drawn = str(app.query_one("#review-latency").render())
        sums = re.search(r"^  (.*) = (\S+)$", drawn, re.M)
        parts = [units.parse_duration(p.split()[0]) for p in sums.group(1).split(" + ")]
        assert units.format_seconds(sum(parts)) == sums.group(2) == printed == "2m40s"
        assert f"worst case {printed}, within the 3m target" in drawn


# --- snapshots at 80x24: dark, light and NO_COLOR -------------------------------------------------------

THEMES = {"dark": None, "light": "textual-light", "no_color": None}


def themed_app(tmp_path, monkeypatch, theme: str):
    if theme == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app(tmp_path)
    if THEMES[theme]:
        app.theme = THEMES[theme]
    return app


@pytest.mark.parametrize("theme", THEMES)
def test_snapshot_diagram(snap_compare, tmp_path, monkeypatch, theme):
    async def run_before(pilot) -> None:
        _quiet_cursor(pilot.app)
        await diagram_drawn(pilot)
        pilot.app.query_one("#welcome-diagram").scroll_visible(top=True, animate=False)
        await pilot.pause()

    assert snap_compare(themed_app(tmp_path, monkeypatch, theme), run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize("theme", THEMES)
def test_snapshot_disk_chart(snap_compare, tmp_path, monkeypatch, theme):
    async def run_before(pilot) -> None:
        await pilot.press("ctrl+n")
        await fill(pilot.app, pilot, CLUSTER)
        await pilot.press("ctrl+n")
        await fill(pilot.app, pilot, {"metrics.retention": "90d", "metrics.pvc_size": "20Gi"})
        _quiet_cursor(pilot.app)
        pilot.app.query_one("#disk-chart").scroll_visible(top=True, animate=False)
        await pilot.pause()

    assert snap_compare(themed_app(tmp_path, monkeypatch, theme), run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize("theme", THEMES)
def test_snapshot_latency_bar_on_the_alerts_step(snap_compare, tmp_path, monkeypatch, theme):
    async def run_before(pilot) -> None:
        await pilot.press("ctrl+n")
        await fill(pilot.app, pilot, CLUSTER)
        for _ in range(LAST_FORM - 1):
            await pilot.press("ctrl+n")
        await fill(pilot.app, pilot, {"alerting.rule_for": "2m"})
        _quiet_cursor(pilot.app)
        pilot.app.query_one("#alerts-latency").scroll_visible(top=True, animate=False)
        await pilot.pause()

    assert snap_compare(themed_app(tmp_path, monkeypatch, theme), run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize("width", [76, 60, 44])
def test_the_diagram_splits_no_word(width):
    """Issue 22 item 14: "grafana.${SECRET_DO / MAIN}" and "envoy- / internal" at 80 columns. A box is as wide as
    its longest word (or the part of it after a '/' or '.'), so lines break between words or at those marks only."""
    import re

    answers = parse("flux:\n  substitute_from: cluster-secrets\ngrafana:\n  gateway_name: envoy-internal\n"
                    "  gateway_namespace: network\n").model_copy()
    answers = answers.model_copy(update={"cluster": answers.cluster.model_copy(update={"domain": "${SECRET_DOMAIN}"})})
    drawn = art(answers, width)
    assert all(len(line) <= width for line in drawn.splitlines())
    cells = re.findall(r"│ ([^│]*?) *│", drawn)
    for word in ("${SECRET_DOMAIN}", "envoy-internal", "grafana-admin", "alertmanager", "onepassword"):
        assert any(word in cell for cell in cells), (word, drawn)  # whole on one line of its box
    for cell in cells:  # a line ends at a word's end, or after a '/' or '.'
        assert cell.endswith(("/", ".")) or not re.search(r"(ENVOY|SECRET_DO|envoy-)$", cell), cell
