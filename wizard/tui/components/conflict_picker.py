"""One conflicting YAML path of a file with its three values; the operator picks the side to keep."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RadioButton, RadioSet, Static

from wizard.merge import Conflict
from wizard.tui.messages import ConflictChosen


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
