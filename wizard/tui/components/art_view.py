"""A picture drawn as text for its own width: the base of the diagram, the disk chart and the latency bar.

A subclass says how to draw its data (``draw``: lines of ``(text, kind)`` runs from a pure module)
and how each kind looks (``STYLES``). Every piece of text is shown literally; styles are bold, dim,
underline and reverse only, so the picture reads the same in dark, light and NO_COLOR.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.content import Content
from textual.widget import Widget

from wizard.tui.text import ascii_only, lines, styled


class ArtView(Widget):
    STYLES: ClassVar[dict[str, str]] = {}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data: Any = None

    def show(self, data: Any) -> None:
        """Draw ``data`` (None: nothing to draw)."""
        if data != self.data:
            self.data = data
            self.refresh(layout=True)
        self.display = data is not None

    def draw(self, width: int, ascii: bool) -> list[list[tuple[str, str]]]:
        raise NotImplementedError

    def heading(self) -> Content | None:
        return None

    def art(self, width: int) -> Content:
        if self.data is None:
            return Content("")
        drawn = self.draw(max(width, 20), ascii_only())
        heading = self.heading()
        return lines(*([heading] if heading is not None else []),
                     *(styled(*((text, self.STYLES.get(kind, "")) if self.STYLES.get(kind) else text for text, kind in line))
                       for line in drawn))

    def render(self) -> Content:
        return self.art(self.content_size.width)

    def get_content_height(self, container, viewport, width: int) -> int:
        return self.art(width).get_height(self.styles, width) if self.data is not None else 0
