"""The Welcome step: what obs-wizard does, to which repo, and what discovery found there."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from wizard.session import Session


class WelcomePane(VerticalScroll):
    def __init__(self, session: Session, repo_label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.repo_label = repo_label

    def compose(self) -> ComposeResult:
        found = self.session.found
        run = ("a re-run: your saved answers (.obs-wizard/answers.yaml) are filled in, and files you edited by hand "
               "are merged, not overwritten" if self.session.rerun else "a first run: nothing from obs-wizard is in this repo yet")
        lines = [
            "[b]obs-wizard[/b] adds kube-prometheus-stack, Loki and Alloy to your Flux repo as three apps in "
            "[b]kubernetes/apps/observability/[/b].",
            "",
            f"Repo: [b]{self.repo_label}[/b]",
            f"This is {run}.",
            "",
            "You answer a few questions (each validated as you type), review every file change, and only then "
            "is anything written; the 1Password items are checked through Connect first.",
        ]
        report = found.report()
        if report:
            lines += ["", "[b]Found in the repo[/b] (used as defaults):", *(f"  • {line}" for line in report)]
        lines += ["", "Keys: Ctrl+N next, Ctrl+B back, Ctrl+Q quit; the mouse works too."]
        yield Static("\n".join(lines), id="welcome-text")
