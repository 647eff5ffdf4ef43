"""The disk chart under the retention fields: Prometheus's projected use against its volume and size
cap, the days the cap really keeps, and Loki's volume (``wizard.render.bars``: simple bars, and why).

The figures are ``wizard.render.sizing``'s, the ones the headless summary prints; redrawn as fields change.
"""

from __future__ import annotations

from wizard.render import bars
from wizard.tui.components.art_view import ArtView


class DiskChart(ArtView):
    STYLES = {"heading": "bold", "over": "dim", "warn": "bold", "marker": "dim"}

    def draw(self, width: int, ascii: bool):
        return bars.disk_lines(self.data, width, ascii=ascii)
