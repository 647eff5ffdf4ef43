"""F1: help for the focused field (its title, help, current value's problem) and the keys (help_screen.md)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from wizard.tui.text import ascii_only, lines, literal, mark, styled

KEYS_HELP = Path(__file__).with_name("help_screen.md")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("f1", "dismiss", "Close"), ("q", "dismiss", "Close")]

    def __init__(self, title: str, help_text: str, problem: str | None = None) -> None:
        super().__init__(classes="help")
        self.field_title, self.help_text, self.problem = title, help_text, problem

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it: only when help is asked for

        with VerticalScroll(id="help-box"):
            text = [styled((self.field_title, "bold")), self.help_text or "(no help for this field)"]
            if self.problem:
                text.append(styled((f"{mark('fail')} {self.problem}", "bold")))
            yield Static(lines(*text), id="help-field")
            keys = KEYS_HELP.read_text(encoding="utf-8")
            if ascii_only():  # the Linux console: the same text without the Markdown widget's bullets and rules
                yield Static(literal(keys.replace("**", "").replace("`", "").replace("## ", "")), id="help-keys")
            else:
                yield Markdown(keys, id="help-keys")
            yield Static("Escape or F1 closes this help.", id="help-close")
