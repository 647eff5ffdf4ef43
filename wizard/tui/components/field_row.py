"""One question generated from the answers model: title, control (Input or Switch), help, and its error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static, Switch

from wizard.form import Question
from wizard.tui.messages import FieldEdited


class FieldRow(Vertical):
    """A question: title, the control (Input or Switch), one line of help, and the error beside it."""

    def __init__(self, question: Question, text: str, placeholder: str = "") -> None:
        super().__init__(classes="field-row", id=f"row-{question.key.replace('.', '-')}")
        self.question = question
        self._text = text
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        q = self.question
        title = q.title + (" *" if q.required else "")
        with Horizontal(classes="field-line"):
            yield Label(title, classes="field-title")
            if q.kind == "bool":
                yield Switch(value=self._text == "true", id=f"input-{q.key.replace('.', '-')}")
            else:
                yield Input(value=self._text, placeholder=self._placeholder or (str(q.default) if q.default is not None else ""),
                            type="integer" if q.kind == "int" else "text", id=f"input-{q.key.replace('.', '-')}",
                            compact=True)
        yield Static(q.help, classes="field-help")
        yield Static("", classes="field-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FieldEdited(self.question, event.value))

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self.post_message(FieldEdited(self.question, "true" if event.value else "false"))

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(f"✗ {message}" if message else "")
        self.set_class(bool(message), "-invalid")
