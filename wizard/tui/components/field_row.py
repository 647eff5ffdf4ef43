"""One question generated from the answers model: title, control (Input or Switch), help, and its error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static, Switch

from wizard.form import OTHER, Question
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
                if q.choices:  # values found in the repo; "other" shows the Input for any value
                    other = self._text not in q.choices
                    yield Select([(c, c) for c in (*q.choices, OTHER)], value=OTHER if other else self._text,
                                 allow_blank=False, compact=True, id=f"pick-{q.key.replace('.', '-')}")
                yield Input(value=self._text, placeholder=self._placeholder or (str(q.default) if q.default is not None else ""),
                            type="integer" if q.kind == "int" else "text", id=f"input-{q.key.replace('.', '-')}",
                            compact=True).set_class(bool(q.choices) and self._text in q.choices, "-hidden")
        yield Static(q.help + (" Other: say so in the advanced options (outside the repo)."
                               if q.choices and q.outside_repo else ""), classes="field-help")
        yield Static("", classes="field-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FieldEdited(self.question, event.value))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        entry = self.query_one(Input)
        entry.set_class(event.value != OTHER, "-hidden")
        if event.value != OTHER:
            entry.value = str(event.value)  # posts FieldEdited through on_input_changed

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self.post_message(FieldEdited(self.question, "true" if event.value else "false"))

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(f"✗ {message}" if message else "")
        self.set_class(bool(message), "-invalid")
