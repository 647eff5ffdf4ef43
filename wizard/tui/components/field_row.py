"""One question generated from the answers model: title, control (Input or Switch), help, and its error.

The error shows only once the operator typed in the field or left it (or tried to go on), never on
a step just entered. Everything shown is literal text: an operator's ``[`` is a bracket.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static, Switch

from wizard.answers.form import OTHER, Question, title_of
from wizard.tui.messages import FieldEdited, FieldSubmitted
from wizard.tui.text import ascii_only, literal, mark, styled


def screen_message(q: Question, message: str) -> str:
    """A problem in the words of the screen: the switch to turn on, not the answers-file key to set (the
    field, F1 and the Next toast say the same)."""
    if q.outside_repo and f"set {q.outside_repo}: true" in message:
        return message.replace(f"set {q.outside_repo}: true", f"switch on \"{title_of(q.outside_repo)}\" under Advanced options below")
    return message


class FieldInput(Input):
    """An Input whose own keys (Ctrl+U, Backspace, Home, ...) act as they arrive.

    Textual resolves a widget's bindings only once the key has bubbled back up to the App, against the
    widget focused by then: a Ctrl+U typed ahead of a Ctrl+N would clear nothing (or a field of the next
    step). Here they apply to this Input, in the order typed."""

    async def _on_key(self, event) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority:
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
        await super()._on_key(event)


class FieldRow(Vertical):
    """A question: title, the control (Input or Switch), one line of help, and the error beside it."""

    def __init__(self, question: Question, text: str, placeholder: str = "", note: str = "") -> None:
        super().__init__(classes="field-row", id=f"row-{question.key.replace('.', '-')}")
        self.question = question
        self._text = text
        self._placeholder = placeholder
        self.note = note  # e.g. "file says 45d" on a re-run
        self.touched = False
        self._error: tuple[str | None, str | None] = (None, None)  # what show_error was last told

    def compose(self) -> ComposeResult:
        q = self.question
        title = q.title + (" *" if q.required else "")
        with Horizontal(classes="field-line"):
            yield Label(literal(title), classes="field-title")
            if q.kind == "bool":
                yield Switch(value=self._text == "true", id=f"input-{q.key.replace('.', '-')}")
            else:
                if q.choices:  # values found in the repo; "other" shows the Input for any value
                    other = self._text not in q.choices
                    yield Select([(literal(c), c) for c in (*q.choices, OTHER)], value=OTHER if other else self._text,
                                 allow_blank=False, compact=True, id=f"pick-{q.key.replace('.', '-')}")
                # Numbers are typed as text, so letters get a word from the model instead of vanishing.
                yield FieldInput(value=self._text, placeholder=self._placeholder or (str(q.default) if q.default is not None else ""),
                            id=f"input-{q.key.replace('.', '-')}", compact=True,
                            select_on_focus=False).set_class(bool(q.choices) and self._text in q.choices, "-hidden")
        yield Static(literal(q.help + (" Other: say so in the advanced options (outside the repo)."
                                       if q.choices and q.outside_repo else "")), classes="field-help")
        if self.note:
            yield Static(styled((f"{mark('warn')} {self.note}", "bold")), classes="field-note")
        yield Static("", classes="field-error")

    def on_mount(self) -> None:
        if ascii_only():  # a pick list's arrows, on the Linux console
            for arrow, text in ((".down-arrow", "v"), (".up-arrow", "^")):
                for widget in self.query(arrow):
                    widget.update(text)
        self._show_error(*self._error)  # told before its fields existed

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self._text:
            self.touched = True
        self.post_message(FieldEdited(self.question, event.value))

    def on_input_blurred(self, event: Input.Blurred) -> None:
        event.stop()
        if not self.touched:
            self.touched = True
            self.post_message(FieldEdited(self.question, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.touched = True
        self.post_message(FieldSubmitted(self.question))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        entry = self.query_one(Input)
        entry.set_class(event.value != OTHER, "-hidden")
        if event.value != OTHER:
            entry.value = str(event.value)  # posts FieldEdited through on_input_changed

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self.touched = True
        self.post_message(FieldEdited(self.question, "true" if event.value else "false"))

    def show_error(self, message: str | None, computed_from: str | None = None) -> None:
        """``message``: the problem of the answer set from the text ``computed_from`` (None: the text the row
        opened with). When the field already shows other text (an edit still queued on a loaded machine), the
        result is about a value no longer there: nothing is shown until the edit is applied.

        A refresh can reach a row that is still being mounted (Next pressed as the wizard opens, while the
        first full refresh is due): its fields do not exist yet, so the row shows the error once they do."""
        self._error = (message, computed_from)
        if self.is_mounted:
            self._show_error(message, computed_from)

    def _show_error(self, message: str | None, computed_from: str | None) -> None:
        if self.question.kind != "bool":
            shown = self.query_one(Input).value
            if shown != (self._text if computed_from is None else computed_from):
                message = None
        message = screen_message(self.question, message) if message else message
        error = self.query_one(".field-error", Static)
        error.update(styled((f"{mark('fail')} {message}", "bold")) if message else "")
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")
