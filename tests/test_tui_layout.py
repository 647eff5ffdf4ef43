"""Layout at 80x24: toasts never cover Back/Next; on the Linux console (TERM=linux) nothing outside ASCII is
drawn, Textual's own chrome included (header icon and separator, button and box borders, scrollbars, the pick
list's arrow, the footer's separator, the help's list)."""

from __future__ import annotations

import html
import re

from textual.widgets._toast import Toast

from tests.conftest import flux_repo
from tests.test_tui import CLUSTER, REVIEW, fill, make_app


def drawn(app) -> set[str]:
    """The characters on screen outside ASCII (the no-break space of an SVG cell aside)."""
    text = "".join(html.unescape(t) for t in re.findall(r">([^<]*)</text>", app.export_screenshot()))
    return {c for c in text if ord(c) > 127 and c != "\xa0"}


async def test_on_the_linux_console_every_screen_is_ascii(tmp_path, monkeypatch):
    monkeypatch.setenv("TERM", "linux")
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        assert drawn(app) == set(), "Welcome"
        await pilot.press("enter")
        await fill(app, pilot, CLUSTER)
        assert app.query("Select"), "step 1 has a pick list (the StorageClass the repo defines)"
        assert drawn(app) == set(), "Cluster"
        await pilot.press("f1")
        await pilot.pause()
        assert drawn(app) == set(), "F1 help"
        await pilot.press("escape")
        while app.index < REVIEW:
            await pilot.press("ctrl+n")
            assert drawn(app) == set(), app.titles[app.index]
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "Confirm" and drawn(app) == set(), "the quit dialog"
    from textual.scrollbar import ScrollBarRender

    assert ScrollBarRender.VERTICAL_BARS[0] == "▁"  # the scrollbar glyphs are Textual's again after the app


async def test_toasts_never_cover_back_and_next(tmp_path):
    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("enter")
        await fill(app, pilot, {**CLUSTER, "cluster.node_count": "0"})
        await pilot.press("ctrl+n", "ctrl+n")  # two "Next refused" toasts
        await pilot.pause()
        toasts = list(app.screen.query(Toast))
        assert toasts
        for button in (app.query_one("#back"), app.query_one("#next")):
            assert button.display
            for toast in toasts:
                assert not toast.region.overlaps(button.region), (toast.region, button.region)


async def test_a_wrapped_bullet_continues_under_its_text_not_under_its_mark(tmp_path):
    from textual.geometry import Region

    from wizard.tui.text import mark

    app = make_app(flux_repo(tmp_path / "home-ops"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        found = app.query_one("#welcome-bullets")
        shown = [strip.text.rstrip() for strip in found.render_lines(Region(0, 0, found.size.width, found.size.height))]
        items = app.session.found.report()
        assert items and len(shown) > len(items), shown  # discovery found the fixture repo's objects; a long one wraps
        starts = [n for n, line in enumerate(shown) if line.startswith(f"  {mark('bullet')} ")]
        assert len(starts) == len(items) and starts[0] == 0, shown  # one mark per item, each on its first line
        for n, line in enumerate(shown):
            if n not in starts:  # a continuation: under the text, never under the mark or at the margin
                assert line.startswith("    ") and line[4] != " ", (n, shown)
        words = " ".join(line[4:].strip() for line in shown).split()
        assert words == " ".join(items).split()  # every word of every item, in order: nothing cut off
