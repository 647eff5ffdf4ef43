"""The Write step: the log of the 1Password check, the validation and the write, line by line.

While it runs, a progress line above the log says which stage runs (``[##-] 2 of 3: Validating the
manifests``, the files counted while writing) with a spinner. When it ends, a note says that the log is
printed in the terminal after the wizard ends. It stays on screen until the operator moves on; skipped
checks show as warnings, never as passed.
Tool output is shown literally (``[crd-schema]`` stays). When Connect is down, a Skip button lets the
operator write without the check; the skip is remembered and repeated on Review and Done.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from wizard.tui.text import ascii_only, literal, plain_marks, styled

SPINNER, ASCII_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏", "|/-\\"
PRINTED_AFTER = "This log and the next steps are printed in the terminal when the wizard ends."


def progress_bar(done: int, total: int) -> str:
    """``[■■□]``: the stages finished and the one running; ``[##-]`` on the Linux console."""
    full, empty = ("#", "-") if ascii_only() else ("■", "□")
    return "[" + full * done + empty * (total - done) + "]"


class WritePane(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[tuple[str, str]] = []  # (line, style)
        self.stage_text = ""  # the stage running, "" when none
        self._frame = 0
        self._timer = None

    @property
    def log_lines(self) -> list[str]:
        return [line for line, _ in self.entries]

    def compose(self) -> ComposeResult:
        yield Static(id="write-stage")
        yield Static(id="write-log")
        yield Static(literal(PRINTED_AFTER), id="write-after")
        yield Button("Skip the 1Password check and write", id="skip-check", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#skip-check").display = False
        self.query_one("#write-stage").display = False
        self.query_one("#write-after").display = False
        self.anchor()  # stays scrolled to the newest line as the log grows

    def clear(self) -> None:
        self.entries = []
        self.query_one("#write-log", Static).update("")
        self.query_one("#skip-check").display = False
        self.query_one("#write-after").display = False

    def stage(self, number: int, total: int, text: str) -> None:
        """Stage ``number`` of ``total`` runs (1-based): shown with the bar and a spinner until ``finish``."""
        self.stage_text = f"{progress_bar(number - 1, total)} {number} of {total}: {text}"
        if self._timer is None:
            self._timer = self.set_interval(0.2, self._spin)
        self._show_stage()

    def _spin(self) -> None:
        self._frame += 1
        self._show_stage()

    def _show_stage(self) -> None:
        frames = ASCII_SPINNER if ascii_only() else SPINNER
        line = self.query_one("#write-stage", Static)
        line.update(styled((frames[self._frame % len(frames)] + " ", "bold"), (self.stage_text, "bold")))
        line.display = bool(self.stage_text)

    def finish(self) -> None:
        """The run ended (written or refused): no stage runs; the note says where the log goes."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.stage_text = ""
        self.query_one("#write-stage").display = False
        self.query_one("#write-after").display = True

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
