"""Widgets generated from the answers model: one row per question, with its help and its error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, RadioButton, RadioSet, Select, Static, Switch

from wizard.form import OTHER, Question
from wizard.merge import Conflict
from wizard.tui.messages import ConflictChosen, FieldEdited

SECRET_WORDS = ("token", "password")


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


class SecretInput(Vertical):
    """A masked input for the Connect token: never echoed, never stored in the answers."""

    def __init__(self, title: str, help_text: str, value: str, input_id: str, password: bool) -> None:
        super().__init__(classes="field-row")
        self._args = (title, help_text, value, input_id, password)

    def compose(self) -> ComposeResult:
        title, help_text, value, input_id, password = self._args
        with Horizontal(classes="field-line"):
            yield Label(title, classes="field-title")
            yield Input(value=value, password=password, id=input_id, compact=True)
        yield Static(help_text, classes="field-help")


class ConflictPicker(Vertical):
    """One conflicting YAML path with its three values; the operator picks which value to keep."""

    def __init__(self, file: str, conflict: Conflict, chosen: str | None) -> None:
        super().__init__(classes="conflict")
        self.file = file
        self.conflict = conflict
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        c = self.conflict
        from wizard.merge import MISSING, UNKNOWN

        def show(value: object) -> str:
            return "(absent)" if value is MISSING else "(unknown)" if value is UNKNOWN else repr(value)

        yield Static(f"[b]{self.file}[/b]\n  {c.path}\n  previous render {show(c.base)}", classes="conflict-path")
        with RadioSet():
            yield RadioButton(f"keep on disk: {show(c.ours)}", value=self.chosen == "ours", name="ours")
            yield RadioButton(f"take new: {show(c.theirs)}", value=self.chosen == "theirs", name="theirs")

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        side = event.pressed.name or "ours"
        self.post_message(ConflictChosen(self.file, self.conflict.path, side))


class FileChoice(Vertical):
    """A whole-file question: a file deleted by hand, or one obs-wizard did not write."""

    def __init__(self, file: str, reason: str, options: list[tuple[str, str]], chosen: str | None) -> None:
        super().__init__(classes="conflict")
        self.file = file
        self.reason = reason
        self.options = options  # (side, label)
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        yield Static(f"[b]{self.file}[/b]\n  {self.reason}", classes="conflict-path")
        with RadioSet():
            for side, label in self.options:
                yield RadioButton(label, value=self.chosen == side, name=side)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.post_message(ConflictChosen(self.file, "", event.pressed.name or ""))
