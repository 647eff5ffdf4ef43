"""The Review step: the plan per file, the estimates, the conflicts to settle, and the diff."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from wizard import sizing
from wizard.model import Answers
from wizard.plan import Plan
from wizard.tui.components.conflict_picker import ConflictPicker
from wizard.tui.components.file_choice import FileChoice

SYMBOLS = {"create": "+", "update": "~", "merge": "~", "unchanged": "=", "keep": "=", "conflict": "!"}


class ReviewPane(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="review-summary")
        yield Vertical(id="review-conflicts")
        yield Static(id="review-diffs")

    def show_problem(self, problem: str | None) -> None:
        self.query_one("#review-conflicts", Vertical).remove_children()
        self.query_one("#review-summary", Static).update(f"[b red]Cannot plan:[/b red] {problem}")
        self.query_one("#review-diffs", Static).update("")

    def show(self, plan: Plan, answers: Answers, choices: dict[str, dict[str, str]]) -> None:
        from wizard.render import namespace_dir

        conflicts_box = self.query_one("#review-conflicts", Vertical)
        conflicts_box.remove_children()
        base = namespace_dir(answers) + "/"
        lines = ["[b]Review[/b]: nothing is written until you choose Write files.", "", f"In {base}:"]
        for change in plan.changes:
            reason = f" [dim]({change.reason})[/dim]" if change.reason and change.action != "unchanged" else ""
            lines.append(f" {SYMBOLS[change.action]} {change.action:<9} {change.path.removeprefix(base)}{reason}")
        lines += ["", *sizing.summary(answers), *(f"⚠ {w}" for w in sizing.warnings(answers))]
        if plan.conflicts:
            lines += ["", f"[b]{len(plan.conflicts)} file(s) in conflict[/b]: choose below."]
        self.query_one("#review-summary", Static).update("\n".join(lines))
        for change in plan.conflicts:
            if change.conflicts:
                for conflict in change.conflicts:
                    conflicts_box.mount(ConflictPicker(change.path, conflict, choices.get(change.path, {}).get(conflict.path)))
            elif change.old is None:  # deleted by hand since obs-wizard wrote it
                conflicts_box.mount(FileChoice(change.path, "you deleted this file since obs-wizard wrote it",
                                               [("ours", "keep it deleted"), ("theirs", "recreate it")], None))
            else:  # exists, not written by obs-wizard
                conflicts_box.mount(FileChoice(change.path, "exists and was not written by obs-wizard",
                                               [("adopt", "merge it (keep its values where they differ: you choose)")], None))
        text = "".join(change.diff() for change in plan.changes if change.action != "unchanged")
        diffs = self.query_one("#review-diffs", Static)
        if text:
            from rich.syntax import Syntax  # pygments: only when there is a diff to colour

            diffs.update(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))
        else:
            diffs.update("No file changes.")

    def show_adopted(self, plan: Plan, file: str) -> None:
        """Adopting a file reveals its differing values: show them to choose from."""
        box = self.query_one("#review-conflicts", Vertical)
        for change in plan.conflicts:
            if change.path == file:
                for conflict in change.conflicts:
                    box.mount(ConflictPicker(change.path, conflict, None))
