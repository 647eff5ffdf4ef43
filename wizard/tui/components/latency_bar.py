"""The alert -> Slack latency budget as a bar of its parts against the 3-minute target
(``wizard.render.bars`` from ``sizing.alert_latency``: the numbers the summary prints). On Alerts and Review."""

from __future__ import annotations

from wizard.render import bars
from wizard.tui.components.art_view import ArtView


class LatencyBar(ArtView):
    STYLES = {"heading": "bold", "fill": "reverse", "over": "reverse dim", "marker": "bold", "warn": "bold"}

    def draw(self, width: int, ascii: bool):
        return bars.latency_lines(self.data, width, ascii=ascii)
