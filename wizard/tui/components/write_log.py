"""The Write step: the log of the 1Password check, the validation and the write, line by line.

Tool output is shown literally (``[crd-schema]`` stays). When Connect is down, a Skip button lets the
operator write without the check; the skip is remembered and repeated on Review and Done.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from wizard.tui.text import literal


class WritePane(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.log_lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(id="write-log")
        yield Button("Skip the 1Password check and write", id="skip-check", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#skip-check").display = False

    def clear(self) -> None:
        self.log_lines = []
        self.query_one("#write-log", Static).update("")
        self.query_one("#skip-check").display = False

    def say(self, line: str) -> None:
        self.log_lines.append(line)
        self.query_one("#write-log", Static).update(literal("\n".join(self.log_lines)))

    def offer_skip(self) -> None:
        button = self.query_one("#skip-check", Button)
        button.display = True
        button.focus()
