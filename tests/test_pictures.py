"""The pictures (issue 13): the platform diagram, the disk chart and the alert-latency bar.

Their data comes from the answers (wizard/platform_map.py, wizard/sizing.py), drawn without Textual
(wizard/boxart.py) and shown by Textual widgets; Pilot tests change the answers and watch them follow.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import MINIMAL_ANSWERS, ROOT, flux_repo
from tests.test_tui import CLUSTER, LAST_FORM, REVIEW, _quiet_cursor, fill, make_app, snapshot_app
from wizard import answers_file, boxart, platform_map

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
    code = ("import sys; from wizard import platform_map, boxart, sizing, headless; "
            "assert not [m for m in sys.modules if m.startswith('textual')], 'textual imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_first_run_draft_shows_what_is_known():
    from wizard.form import Draft

    pmap = platform_map.from_draft(Draft({"grafana": {"gateway_name": "edge"}}))
    assert pmap.box("route").lines[:2] == ("grafana.<domain>", "kube-system/edge")
    assert pmap.box("alloy").lines == ("each node", "(DaemonSet)")


# --- in the wizard ------------------------------------------------------------------------------------


def diagram_text(app, where: str) -> str:
    return str(app.query_one(f"#{where}-diagram").render())


async def test_the_diagram_follows_the_answers_on_welcome_and_review(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
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
        pilot.app.query_one("#welcome-diagram").scroll_visible(top=True, animate=False)
        await pilot.pause()

    assert snap_compare(themed_app(tmp_path, monkeypatch, theme), run_before=run_before, terminal_size=(80, 24))
