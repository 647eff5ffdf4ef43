"""The Welcome step: what obs-wizard does, to which repo, and what discovery found there."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Static

from wizard.session import Session
from wizard.tui.components.platform_diagram import PlatformDiagram
from wizard.tui.text import lines, mark, plain_marks, styled

BULLET_WIDTH = 4  # "  • ": a wrapped line continues under the text, not under the mark


def bullets(items: list[str]) -> Table:
    """Bullet lines as one renderable (one widget, not three per line: the first frame styles each widget)."""
    grid = Table.grid(padding=0)
    grid.add_column(width=BULLET_WIDTH, no_wrap=True)
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row(Text(f"  {mark('bullet')} "), Text(plain_marks(item)))  # literal text: never markup
    return grid


class WelcomePane(VerticalScroll):
    def __init__(self, session: Session, repo_label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.repo_label = repo_label

    def compose(self) -> ComposeResult:
        found = self.session.found
        run = ("a re-run: your saved answers (.obs-wizard/answers.yaml) are filled in, and files you edited by hand "
               "are merged, not overwritten" if self.session.rerun else "a first run: nothing from obs-wizard is in this repo yet")
        text = [
            styled(("obs-wizard", "bold"), " adds kube-prometheus-stack, Loki and Alloy to your Flux repo as three apps in ",
                   ("kubernetes/apps/observability/", "bold"), "."),
            "",
            styled("Repo: ", (self.repo_label, "bold")),
            f"This is {run}.",
            "",
            "You answer a few questions (each validated as you type), review every file change, and only then "
            "is anything written; the 1Password items are checked through Connect first.",
        ]
        yield Static(lines(*text), id="welcome-text")
        # Right under the introduction, so both are on the first screen at 80x24: Enter starts step 1.
        yield Button("Start (Enter)", id="start", variant="primary")
        yield Static("Keys: Enter next field, Ctrl+N next step, Ctrl+B back, F1 help, Ctrl+Q quit; the mouse works too.",
                     id="welcome-keys")
        report = found.report()
        if report:
            with Vertical(id="welcome-found"):
                yield Static(styled(("Found in the repo", "bold"), " (used as defaults):"))
                yield Static(bullets(report), id="welcome-bullets")
        yield PlatformDiagram(id="welcome-diagram", classes="diagram")
