"""The platform diagram with this run's names (``wizard.platform_map``, drawn by ``wizard.boxart``).

Shown on Welcome and Review. It is redrawn for its own width (across at 80 columns, stacked when
narrower) and in ASCII on the Linux console; parts switched off are dashed and say "(off)", so the
picture reads the same without colour.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from wizard import boxart
from wizard.platform_map import PlatformMap
from wizard.tui.text import ascii_only, lines, styled

STYLES = {"lane": "bold underline", "title": "bold", "border": "", "text": "", "arrow": "bold", "off": "dim"}
HEADING = styled(("This run's platform", "bold"), " (parts switched off are dashed and marked off):")


class PlatformDiagram(Widget):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pmap: PlatformMap | None = None

    def show(self, pmap: PlatformMap) -> None:
        if pmap != self.pmap:
            self.pmap = pmap
            self.refresh(layout=True)

    def art(self, width: int) -> Content:
        if self.pmap is None:
            return Content("")
        drawn = boxart.draw(self.pmap, max(width, 20), ascii=ascii_only())
        return lines(HEADING, *(styled(*((text, STYLES[kind]) if STYLES[kind] else text for text, kind in line))
                                for line in drawn))

    def render(self) -> Content:
        return self.art(self.content_size.width)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.art(width).split("\n")) if self.pmap is not None else 0
