"""One conflicting value of a file: where it is, its three values, and keep mine / take new."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RadioButton, RadioSet, Static

from wizard.tui.messages import ConflictChosen
from wizard.tui.text import literal, mark, styled

if TYPE_CHECKING:  # the merge loads with the first conflict, never before the first screen
    from wizard.repo.merge import Conflict


def show(value: object) -> str:
    from wizard.repo.merge import MISSING, UNKNOWN

    if value is MISSING:
        return "(absent)"
    if value is UNKNOWN:
        return "(unknown)"
    if isinstance(value, str):
        return value if value and value.strip() == value and "\n" not in value else json.dumps(value)
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


class ConflictPicker(Vertical):
    """One conflicting YAML path with its three values; the operator picks which value to keep."""

    def __init__(self, file: str, conflict: Conflict, chosen: str | None, label: str | None = None) -> None:
        super().__init__(classes="conflict")
        self.file = file
        self.label = label or file
        self.conflict = conflict
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        c = self.conflict
        yield Static(styled((self.label, "bold"), "  ", c.path), classes="conflict-path")
        yield Static(literal(f"previous {show(c.base)} | on disk {show(c.ours)} | new {show(c.theirs)}"),
                     classes="conflict-values")
        with RadioSet(classes="conflict-sides"):
            yield RadioButton(literal(f"keep mine: {show(c.ours)}"), value=self.chosen == "ours", name="ours")
            yield RadioButton(literal(f"take new: {show(c.theirs)}"), value=self.chosen == "theirs", name="theirs")
        yield Static(self._verdict(), classes="conflict-verdict")

    def _verdict(self):
        c = self.conflict
        if self.chosen == "ours":
            return styled((f"{mark('arrow')} chosen: keep mine ({show(c.ours)})", "bold"))
        if self.chosen == "theirs":
            return styled((f"{mark('arrow')} chosen: take new ({show(c.theirs)})", "bold"))
        return styled((f"{mark('fail')} not chosen yet", "bold"))

    def choose(self, side: str) -> None:
        """Select ``side`` on screen (keep all mine / take all new); the choice itself is the caller's."""
        self.chosen = side
        for button in self.query(RadioButton):
            if button.name == side and not button.value:
                with button.prevent(RadioButton.Changed):
                    button.value = True
        for other in self.query(RadioButton):
            if other.name != side and other.value:
                with other.prevent(RadioButton.Changed):
                    other.value = False
        self.query_one(".conflict-verdict", Static).update(self._verdict())

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        side = event.pressed.name or "ours"
        if side == self.chosen:
            return
        self.chosen = side
        self.query_one(".conflict-verdict", Static).update(self._verdict())
        self.post_message(ConflictChosen(self.file, self.conflict.path, side))
