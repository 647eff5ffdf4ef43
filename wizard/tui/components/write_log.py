"""The Write step: the log of the 1Password check, the validation and the write, line by line.

It stays on screen until the operator moves on; skipped checks show as warnings, never as passed.
Tool output is shown literally (``[crd-schema]`` stays). When Connect is down, a Skip button lets the
operator write without the check; the skip is remembered and repeated on Review and Done.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from wizard.tui.text import plain_marks


class WritePane(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[tuple[str, str]] = []  # (line, style)

    @property
    def log_lines(self) -> list[str]:
        return [line for line, _ in self.entries]

    def compose(self) -> ComposeResult:
        yield Static(id="write-log")
        yield Button("Skip the 1Password check and write", id="skip-check", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#skip-check").display = False
        self.anchor()  # stays scrolled to the newest line as the log grows

    def clear(self) -> None:
        self.entries = []
        self.query_one("#write-log", Static).update("")
        self.query_one("#skip-check").display = False

    def say(self, line: str, style: str = "") -> None:
        self.entries.append((plain_marks(line), style))
        self.query_one("#write-log", Static).update(log_text(self.entries))

    def offer_skip(self) -> None:
        button = self.query_one("#skip-check", Button)
        button.display = True
        button.focus()


def log_text(log: list[tuple[str, str]]) -> Text:
    """(line, style) pairs as styled text: plain text, so no message is ever read as markup."""
    return Text("\n").join(Text(line, style=style) for line, style in log)


def validation_log(report) -> list[tuple[str, str]]:
    """The validation report as (line, style): errors red, skipped checks as yellow warnings."""
    lines = [(f"  ✗ {f.line()}", "red") if f.level == "error" else (f"  ⚠ {f.line()}", "yellow")
             for f in report.findings if f.level != "skipped"]
    marks = {"passed": ("✓", ""), "failed": ("✗", "red"), "skipped": ("⚠", "yellow")}
    for outcome in report.outcomes():
        mark, style = marks[outcome.status]
        lines.append((f"  {mark} {outcome.line()}", style))
    summary = report.summary()
    if not report.ok:
        lines.append((f"✗ {summary}", "bold red"))
    elif report.skipped:
        lines.append((f"⚠ {summary}", "bold yellow"))
    else:
        lines.append((f"✓ {summary}", "bold green"))
    return lines
