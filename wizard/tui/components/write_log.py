"""The Write step: the log of the 1Password check, the validation and the write, line by line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class WritePane(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="write-log")
