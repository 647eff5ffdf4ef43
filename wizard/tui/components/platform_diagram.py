"""The platform diagram with this run's names (``wizard.render.platform_map``, drawn by ``wizard.render.boxart``).

Shown on Welcome and Review. It is redrawn for its own width (across at 80 columns, stacked when
narrower) and in ASCII on the Linux console; parts switched off are dashed and say "(off)", so the
picture reads the same without colour.
"""

from __future__ import annotations

from textual.content import Content

from wizard.tui.components.art_view import ArtView
from wizard.tui.text import styled


class PlatformDiagram(ArtView):
    STYLES = {"lane": "bold underline", "title": "bold", "arrow": "bold", "off": "dim"}

    @property
    def pmap(self):
        return self.data

    def heading(self) -> Content:
        return styled(("This run's platform", "bold"), " (parts switched off are dashed and marked off):")

    def draw(self, width: int, ascii: bool):
        from wizard.render import boxart  # drawn the frame after Welcome's first

        return boxart.draw(self.data, width, ascii=ascii)
