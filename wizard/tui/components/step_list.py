"""The sidebar: every step, the current one marked, a step with problems crossed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class StepList(OptionList):
    def __init__(self, titles: list[str], **kwargs) -> None:
        super().__init__(*(Option(title, id=f"nav-{i}") for i, title in enumerate(titles)), **kwargs)
        self.titles = titles

    def mark(self, current: int, has_errors) -> None:
        """Re-label every step: ``has_errors(i)`` crosses a step, ``current`` gets the arrow."""
        for i, title in enumerate(self.titles):
            mark = "✗" if has_errors(i) else ("▸" if i == current else " ")
            self.replace_option_prompt(f"nav-{i}", Text(f"{mark} {title}", style="bold" if i == current else ""))
        self.highlighted = current
