"""A Connect host or token input: never stored in the answers; the token is masked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from wizard.tui.text import literal


class SecretInput(Vertical):
    """A masked input for the Connect token: never echoed, never stored in the answers."""

    def __init__(self, title: str, help_text: str, value: str, input_id: str, password: bool) -> None:
        super().__init__(classes="field-row")
        self._args = (title, help_text, value, input_id, password)

    def compose(self) -> ComposeResult:
        title, help_text, value, input_id, password = self._args
        with Horizontal(classes="field-line"):
            yield Label(literal(title), classes="field-title")
            yield Input(value=value, password=password, id=input_id, compact=True)
        yield Static(literal(help_text), classes="field-help")
