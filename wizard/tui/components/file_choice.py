"""A whole-file question on Review: a file deleted by hand, or one obs-wizard did not write."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RadioButton, RadioSet, Static

from wizard.tui.messages import ConflictChosen
from wizard.tui.text import literal, styled


class FileChoice(Vertical):
    """A whole-file question: a file deleted by hand, or one obs-wizard did not write."""

    def __init__(self, file: str, reason: str, options: list[tuple[str, str]], chosen: str | None, label: str | None = None) -> None:
        super().__init__(classes="conflict")
        self.file = file
        self.label = label or file
        self.reason = reason
        self.options = options  # (side, label)
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        yield Static(styled((self.label, "bold"), "  ", self.reason), classes="conflict-path")
        with RadioSet(classes="conflict-sides"):
            for side, label in self.options:
                yield RadioButton(literal(label), value=self.chosen == side, name=side)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.chosen = event.pressed.name or ""
        self.post_message(ConflictChosen(self.file, "", self.chosen))
