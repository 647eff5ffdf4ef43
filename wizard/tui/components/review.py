"""The Review step: changed answers, conflicts to settle (at the top), the changed files beside the diff.

The diff shown for a file is ``FileChange.diff()`` of the current plan: the bytes that will be
written, recomputed after every choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from wizard.answers import form
from wizard.answers.model import Answers
from wizard.render import sizing
from wizard.tui.components.conflict_picker import ConflictPicker
from wizard.tui.components.file_choice import FileChoice
from wizard.tui.components.latency_bar import LatencyBar
from wizard.tui.components.platform_diagram import PlatformDiagram
from wizard.tui.messages import AllConflictsChosen
from wizard.tui.text import lines, literal, mark, styled

if TYPE_CHECKING:  # the plan (and its merge) loads when Review plans, never before the first screen
    from wizard.write.plan import FileChange, Plan

SYMBOLS = {"create": "+", "update": "~", "merge": "~", "unchanged": "=", "keep": "=", "conflict": "!"}


def changed_answers(saved: Answers | None, answers: Answers) -> list[str]:
    """``Retention 30d -> 60d`` for every answer that differs from the saved ones (a re-run)."""
    if saved is None:
        return []
    out = []
    for step in form.steps():
        for q in step.questions:
            old = getattr(getattr(saved, q.section, None), q.name, None)
            new = getattr(getattr(answers, q.section, None), q.name, None)
            if old != new:
                out.append(f"{q.title} {form.to_text(q, old) or '(empty)'} -> {form.to_text(q, new) or '(empty)'}")
    return out


def folded_line(folded: list[FileChange]) -> str:
    """What the file list leaves out, counted as the top line counts it, and the .obs-wizard files by name
    and by what happens to them (created on a first run, updated on a re-run)."""
    counts: dict[str, int] = {}
    for c in folded:
        if not c.tool_file:
            counts[c.action] = counts.get(c.action, 0) + 1
    parts = [", ".join(f"{n} {action}" for action, n in counts.items()) + " (not listed)"] if counts else []
    for action, verb in (("create", "to create"), ("update", "to update"), ("merge", "to update")):
        names = [c.path.removeprefix(".obs-wizard/") for c in folded if c.tool_file and c.action == action]
        if names:
            parts.append(f".obs-wizard/ {verb}: " + ", ".join(names))
    return "; ".join(parts)


def _short(path: str, base: str) -> str:
    return path.removeprefix(base)


class ReviewPane(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.plan: Plan | None = None
        self.base = ""
        self.selected: str | None = None  # the file whose diff is shown
        self.listed: set[str] = set()  # files listed since Review was entered stay listed (a choice may leave one unchanged)
        self._summary_of: tuple | None = None  # (answers, changed, skipped, saved) of the Review entered

    def compose(self) -> ComposeResult:
        with Vertical(id="review-conflicts"):
            yield Static(id="conflicts-title")
            yield Vertical(id="conflict-rows")
            with Horizontal(id="conflicts-all"):
                yield Button("Keep all mine", id="keep-all-mine")
                yield Button("Take all new", id="take-all-new")
        yield Static(id="review-counts")
        yield Static(id="review-summary")
        yield LatencyBar(id="review-latency", classes="chart")
        yield PlatformDiagram(id="review-diagram", classes="diagram")
        with Horizontal(id="review-files-diff"):
            with Vertical(id="review-files-box"):
                yield OptionList(id="review-files")
                yield Static(id="review-folded")
            yield Static(id="review-diffs")

    def show_problem(self, problem: str | None) -> None:
        self.plan = None
        self.query_one("#conflict-rows", Vertical).remove_children()
        self.query_one("#review-conflicts").display = False
        self.query_one("#review-counts", Static).update("")
        self.query_one("#review-summary", Static).update(styled(("Cannot plan: ", "bold"), str(problem)))
        self.query_one("#review-files", OptionList).clear_options()
        self.query_one("#review-folded", Static).update("")
        self.query_one("#review-diffs", Static).update("")

    def show(self, plan: Plan, answers: Answers, choices: dict[str, dict[str, str]], *,
             changed: list[str] = (), skipped: list[str] = (), saved: Answers | None = None,
             dialect: list[str] = ()) -> None:
        """A freshly entered Review: everything rebuilt, the conflict rows included.

        With ``saved`` (a re-run) the changed answers are recomputed from each new plan's answers, so a
        value kept on disk ("keep mine") shows as the answer it becomes."""
        from wizard.render.render import namespace_dir

        self.base = namespace_dir(answers) + "/"
        self._summary_of = (answers, list(changed), list(skipped), saved, list(dialect))
        rows = self.query_one("#conflict-rows", Vertical)
        rows.remove_children()
        pickers = []
        for change in plan.conflicts:
            label = _short(change.path, self.base)
            if change.conflicts:
                pickers += [ConflictPicker(change.path, c, choices.get(change.path, {}).get(c.path), label) for c in change.conflicts]
            elif change.old is None:  # deleted by hand since obs-wizard wrote it
                pickers.append(FileChoice(change.path, "you deleted this file since obs-wizard wrote it",
                                          [("ours", "keep it deleted"), ("theirs", "recreate it")], None, label))
            else:  # exists, not written by obs-wizard
                pickers.append(FileChoice(change.path, "exists and was not written by obs-wizard",
                                          [("adopt", "merge it (keep its values where they differ: you choose)")], None, label))
        mounting = rows.mount_all(pickers) if pickers else None
        self.selected = None
        self.listed = set()
        self.update_plan(plan)
        return mounting  # awaited by the app, so the first choice can take the focus

    def _show_summary(self, plan: Plan) -> None:
        """Changed answers first (a re-run), then the skipped checks, the sizing, and how the files are
        written (the repo's dialect, who owns the Prometheus Operator CRDs, each dependsOn and why)."""
        from wizard.render.render import crd_lines, order_lines

        answers, changed, skipped, saved, dialect = self._summary_of
        answers = plan.answers or answers  # the answers written: they follow values kept on disk
        if saved is not None:
            changed = changed_answers(saved, answers)
        text: list = []
        if changed:
            text += [styled(("Changed answers", "bold"), f" ({len(changed)}):"), *(f"  {line}" for line in changed), ""]
        for line in skipped:
            text.append(styled((f"{mark('warn')} {line}", "bold")))
        text += [*sizing.summary(answers), *(f"{mark('warn')} {w}" for w in sizing.warnings(answers))]
        written = [*dialect, *crd_lines(answers), *order_lines(answers)]
        if written:
            text += ["", styled(("How the files are written", "bold"), ":"), *(f"  {line}" for line in written)]
        self.query_one("#review-summary", Static).update(lines(*text))

    def update_plan(self, plan: Plan) -> None:
        """After a choice: the summary, the conflict count, the file list and the diff, from the re-planned write."""
        self.plan = plan
        if self._summary_of is not None:
            self._show_summary(plan)
        open_values = sum(len(c.conflicts) for c in plan.conflicts if c.conflicts)
        open_files = len(plan.conflicts)
        box = self.query_one("#review-conflicts")
        box.display = bool(open_files) or bool(self.query(ConflictPicker)) or bool(self.query(FileChoice))
        self.query_one("#conflicts-all").display = bool(self.query(ConflictPicker))
        if open_files:
            title = styled((f"{mark('fail')} {open_files} file(s) in conflict", "bold"),
                           f" ({open_values} value(s)): choose a side for each; Write is refused until then.")
        else:
            title = styled((f"{mark('ok')} every conflict settled", "bold"), "; the diff below is what will be written.")
        self.query_one("#conflicts-title", Static).update(title)
        counts: dict[str, int] = {}
        for c in plan.changes:
            if not c.tool_file:
                counts[c.action] = counts.get(c.action, 0) + 1
        self.query_one("#review-counts", Static).update(
            styled(("Review", "bold"), ": nothing is written until you choose Write files.\n",
                   f"In {self.base}: " + ", ".join(f"{n} {action}" for action, n in counts.items())))
        shown = [c for c in plan.changes if not c.tool_file and (c.action not in ("unchanged", "keep") or c.path in self.listed)]
        self.listed |= {c.path for c in shown}
        folded = [c for c in plan.changes if c not in shown]
        files = self.query_one("#review-files", OptionList)
        files.clear_options()
        files.add_options([Option(literal(f"{SYMBOLS[c.action]} {_short(c.path, self.base)}"), id=c.path) for c in shown])
        self.query_one("#review-folded", Static).update(literal(folded_line(folded)))
        paths = [c.path for c in shown]
        if self.selected not in paths:
            conflicted = [c.path for c in shown if c.action == "conflict"]
            self.selected = (conflicted or paths or [None])[0]
        if self.selected is not None:
            files.highlighted = paths.index(self.selected)
        self._show_diff()

    def change(self, path: str | None) -> FileChange | None:
        return next((c for c in self.plan.changes if c.path == path), None) if self.plan else None

    def diff_text(self) -> str:
        change = self.change(self.selected)
        return change.diff() if change is not None else ""

    def _show_diff(self) -> None:
        diffs = self.query_one("#review-diffs", Static)
        text = self.diff_text()
        if not text:
            diffs.update(literal("No file changes." if self.selected is None else "No change in this file."))
            return
        from rich.syntax import Syntax  # pygments: only when there is a diff to colour

        diffs.update(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))

    @on(OptionList.OptionHighlighted, "#review-files")
    def _file_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id != self.selected:
            self.selected = event.option.id
            self._show_diff()

    @on(OptionList.OptionSelected, "#review-files")
    def _file_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    @on(Button.Pressed, "#keep-all-mine")
    def _keep_all(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(AllConflictsChosen("ours"))

    @on(Button.Pressed, "#take-all-new")
    def _take_all(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(AllConflictsChosen("theirs"))

    def show_adopted(self, plan: Plan, file: str) -> None:
        """Adopting a file reveals its differing values: show them to choose from."""
        rows = self.query_one("#conflict-rows", Vertical)
        for change in plan.conflicts:
            if change.path == file:
                for conflict in change.conflicts:
                    rows.mount(ConflictPicker(change.path, conflict, None, _short(change.path, self.base)))
        self.update_plan(plan)
