"""The Write step: the log of the 1Password check, the validation and the write, line by line.

It stays on screen until the operator moves on; skipped checks show as warnings, never as passed.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class WritePane(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="write-log")


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
