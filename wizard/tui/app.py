"""The interactive wizard: Welcome -> the answer steps (generated) -> Review -> Write -> Done."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, ContentSwitcher, Footer, Header, OptionList, Static

from wizard import form, sizing
from wizard.errors import Exit, WizardError
from wizard.session import Session
from wizard.tui.components.confirm import Confirm
from wizard.tui.components.done import DonePane
from wizard.tui.components.field_row import FieldRow
from wizard.tui.components.review import ReviewPane
from wizard.tui.components.step_list import StepList
from wizard.tui.components.step_pane import StepPane
from wizard.tui.components.welcome import WelcomePane
from wizard.tui.components.write_log import WritePane, log_text, validation_log
from wizard.tui.messages import ConflictChosen, FieldEdited


class WizardApp(App[int]):
    """Walks the quickstart; writes nothing before the operator confirms on the Review step."""

    CSS_PATH = "wizard.tcss"
    TITLE = "obs-wizard"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("escape", "escape", "Back / Quit"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+t", "toggle_dark", "Theme"),
    ]

    def __init__(self, session: Session, *, repo_label: str | None = None, theme_name: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.repo_label = repo_label or str(session.repo)
        self.draft = session.initial_draft()
        self.form_steps = form.steps(session.choices())
        self.titles = ["Welcome", *(s.title for s in self.form_steps), "Review", "Write", "Done"]
        self.index = 0
        self.choices: dict[str, dict[str, str]] = {}  # conflict picks: file -> YAML path -> side
        self.plan = None
        self.written: list[str] = []
        self.write_done = False
        self.report_lines: list[str] = []  # the Write step's log, printed to the terminal after exit
        if theme_name:
            self.theme = theme_name

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            yield StepList(self.titles, id="steps")
            with ContentSwitcher(initial="step-0", id="panes"):
                yield WelcomePane(self.session, self.repo_label, id="step-0", classes="pane")
                for number, step in enumerate(self.form_steps, start=1):
                    yield StepPane(number, step)  # built on the first visit
                yield ReviewPane(id=f"step-{len(self.titles) - 3}", classes="pane")
                yield WritePane(id=f"step-{len(self.titles) - 2}", classes="pane")
                yield DonePane(id=f"step-{len(self.titles) - 1}", classes="pane")
        with Horizontal(id="nav"):
            yield Static("", id="status")
            yield Button("Back", id="back")
            yield Button("Next", id="next", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self._refresh()

    # --- state -----------------------------------------------------------------------------------

    def _errors(self) -> dict[str, str]:
        return self.draft.errors()

    def _step_errors(self, index: int, errors: dict[str, str]) -> list[tuple[str, str]]:
        if 1 <= index <= len(self.form_steps):
            return form.step_errors(self.form_steps[index - 1], errors)
        return []

    def _refresh(self) -> None:
        errors = self._errors()
        self.query_one(StepList).mark(self.index, lambda i: bool(self._step_errors(i, errors)))
        for row in self.query(FieldRow):
            row.show_error(errors.get(row.question.key))
        for number, step in enumerate(self.form_steps, start=1):
            spanning = [m for k, m in errors.items() if k in step.sections]
            for widget in self.query(f"#step-error-{number}"):
                widget.update("\n".join(f"✗ {m}" for m in spanning))
        self._refresh_sizing()
        last_form = len(self.form_steps)
        back, nxt = self.query_one("#back", Button), self.query_one("#next", Button)
        back.disabled = self.index == 0 or self.index >= last_form + 2
        nxt.label = {last_form + 1: "Write files", last_form + 3: "Finish"}.get(self.index, "Next")
        nxt.disabled = self.index == last_form + 2 and not self.write_done
        mine = self._step_errors(self.index, errors)
        self.query_one("#status", Static).update(f"✗ {len(mine)} problem(s) on this step" if mine else "")

    def _refresh_sizing(self) -> None:
        try:
            answers = self.draft.answers()
        except ValueError:
            text = "Sizing: fill in the cluster and retention answers to see the estimate."
        else:
            text = "\n".join(sizing.summary(answers) + [f"⚠ {w}" for w in sizing.warnings(answers)])
        for widget in self.query("#sizing"):
            widget.update(text)

    @on(FieldEdited)
    def _edited(self, event: FieldEdited) -> None:
        self.draft.set_text(event.question, event.text)
        self._refresh()

    @on(ConflictChosen)
    def _conflict_chosen(self, event: ConflictChosen) -> None:
        self.choices.setdefault(event.file, {})[event.path] = event.side
        self._compute_plan()
        if event.path == "" and event.side == "adopt" and self.plan is not None:
            self.query_one(ReviewPane).show_adopted(self.plan, event.file)

    # --- navigation ------------------------------------------------------------------------------

    async def _go(self, index: int) -> None:
        self.index = index
        pane = self.query_one(f"#step-{index}")
        if isinstance(pane, StepPane):
            await pane.build(self.draft)
        self.query_one("#panes", ContentSwitcher).current = f"step-{index}"
        if index == len(self.form_steps) + 1:
            self._build_review()
        self._refresh()
        focusable = [w for w in pane.query("Input, Switch") if w.focusable]
        (focusable[0] if focusable else self.query_one("#next", Button)).focus()

    async def action_next(self) -> None:
        last_form = len(self.form_steps)
        problems = self._step_errors(self.index, self._errors())
        if problems:
            self.bell()
            first = problems[0][1]
            self.notify(f"Fix this step first: {first}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                        severity="error", title="Next refused")
            return
        if self.index == last_form + 1:
            await self._confirm_write()
        elif self.index == last_form + 3:
            self.exit(int(Exit.OK))
        elif self.index == last_form + 2 and self.write_done:
            await self._go(last_form + 3)
        elif self.index < last_form + 1:
            await self._go(self.index + 1)

    async def action_back(self) -> None:
        if 0 < self.index <= len(self.form_steps) + 1:
            await self._go(self.index - 1)

    async def action_escape(self) -> None:
        if self.index == 0:
            self.action_quit()
        else:
            await self.action_back()

    def action_quit(self) -> None:  # type: ignore[override]
        if self.index == len(self.form_steps) + 3:
            self.exit(int(Exit.OK))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(int(Exit.CANCELLED))

        self.push_screen(Confirm("Quit obs-wizard? Nothing has been written; the repo stays as it is." if not self.written
                                 else "Quit obs-wizard?", yes="Quit", no="Stay"), answered)

    @on(Button.Pressed, "#next")
    async def _next_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    @on(OptionList.OptionSelected, "#steps")
    async def _step_clicked(self, event: OptionList.OptionSelected) -> None:
        target = int(str(event.option.id).removeprefix("nav-"))
        last_form = len(self.form_steps)
        if target > last_form + 1 or self.index > last_form + 1:
            self._refresh()
            return
        errors = self._errors()
        blocking = next((i for i in range(1, target) if self._step_errors(i, errors)), None)
        if target > self.index and blocking is not None:
            self.notify(f"Fix the {self.titles[blocking]} step first.", severity="error", title="Not yet")
            self._refresh()
            return
        await self._go(target)

    # --- review ----------------------------------------------------------------------------------

    def _compute_plan(self) -> str | None:
        """Plan the write for the current answers and conflict picks; the reason when it cannot."""
        try:
            self.plan = self.session.plan(self.draft.answers(), choose=self.choices or None)
        except Exception as exc:  # noqa: BLE001 - shown to the operator, never a traceback
            self.plan = None
            return getattr(exc, "message", None) or str(exc).splitlines()[0]
        return None

    def _build_review(self) -> None:
        self.choices = {}
        problem = self._compute_plan()
        review = self.query_one(ReviewPane)
        if problem is not None or self.plan is None:
            review.show_problem(problem)
            return
        review.show(self.plan, self.draft.answers(), self.choices)

    async def _confirm_write(self) -> None:
        problem = self._compute_plan()
        if self.plan is None:
            self.notify(f"Go back and fix the answers first: {problem}", severity="error", title="Cannot write")
            return
        unsettled = self.plan.conflicts
        if unsettled:
            self.notify(f"{len(unsettled)} file(s) still need a choice on this screen.", severity="error", title="Write refused")
            return
        host = self.query_one("#connect-host").value.strip()
        token = self.query_one("#connect-token").value.strip()
        from wizard.onepassword.check import needs_items

        if (host and token) or not needs_items(self.draft.answers()):  # no ExternalSecret written: nothing to check
            await self._go(len(self.form_steps) + 2)
            self._write(host, token)
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                await self._go(len(self.form_steps) + 2)
                self._write(None, None)

        self.push_screen(Confirm("1Password Connect is not configured, so the items cannot be checked. "
                                 "Write the files without checking them?", yes="Write anyway", no="Back"), answered)

    # --- secret check and write (workers) ------------------------------------------------------

    @on(Button.Pressed, "#check-now")
    def _check_now(self) -> None:
        host = self.query_one("#connect-host").value.strip()
        token = self.query_one("#connect-token").value.strip()
        results = self.query_one("#check-results", Static)
        if not (host and token):
            results.update("✗ Enter the Connect host and token first.")
            return
        try:
            answers = self.draft.answers()
        except ValueError:
            results.update("✗ Fix the answers first.")
            return
        results.update("checking…")
        self._run_check(answers, host, token)

    @work(thread=True, exclusive=True, group="secrets")
    def _run_check(self, answers, host: str, token: str) -> None:
        from wizard.onepassword.check import check_connect

        shown: list[str] = []

        def live(outcome) -> None:  # each check appears as soon as it is known
            shown.append(outcome.marked())
            self.call_from_thread(self.query_one("#check-results", Static).update, "\n".join([*shown, "checking…"]))

        report = check_connect(answers, host, token, on_outcome=live)
        verdict = "✓ all checks passed" if report.ok else "✗ the items are not what the ExternalSecrets need"
        self.call_from_thread(self.query_one("#check-results", Static).update, "\n".join([*shown, verdict]))

    @work(thread=True, exclusive=True, group="write")
    def _write(self, host: str | None, token: str | None) -> None:
        log: list[tuple[str, str]] = []  # (line, style): plain text, never markup

        def say(line: str, style: str = "") -> None:
            log.append((line, style))
            self.report_lines = [text for text, _ in log]
            self.call_from_thread(self.query_one("#write-log", Static).update, log_text(log))

        answers = self.draft.answers()
        the_plan = self.plan
        from wizard.onepassword.check import NOTHING_TO_CHECK, needs_items

        if not needs_items(answers):
            say(f"1Password check: {NOTHING_TO_CHECK}")
        elif host and token:
            from wizard.onepassword.check import check_connect

            say("Checking the 1Password items through Connect…")
            report = check_connect(answers, host, token, on_outcome=lambda outcome: say("  " + outcome.marked()))
            if not report.ok:
                say("✗ The 1Password items are not what the ExternalSecrets need: nothing was written. Go back, or quit.", "bold red")
                self.call_from_thread(self._write_failed)
                return
        else:
            say("⚠ 1Password check skipped (you confirmed).", "yellow")
        say("Validating the manifests (kustomize, CRD schemas, chart values, promtool, amtool, Alloy)…")
        validation = self.session.validate(answers, the_plan)
        for line, style in validation_log(validation):
            say(line, style)
        if not validation.ok:
            why = "Validation failed" if validation.errors else "A check was skipped and --strict is on"
            say(f"✗ {why}: nothing was written. Go back and fix the answers, or quit.", "bold red")
            self.call_from_thread(self._write_failed)
            return
        try:
            self.written = self.session.write(the_plan, progress=lambda path: say(f"  ✓ {path}"))
        except WizardError as exc:
            say(f"✗ {exc.message}", "bold red")
            self.call_from_thread(self._write_failed)
            return
        say(f"✓ wrote {len(self.written)} file(s), all at once", "bold green")
        self.call_from_thread(self._done, answers)

    def _write_failed(self) -> None:
        back = self.query_one("#back", Button)
        back.disabled = False
        self.index = len(self.form_steps) + 1  # Back returns to Review
        self.query_one("#next", Button).disabled = True

    def _done(self, answers) -> None:
        self.query_one(DonePane).show(self.repo_label, answers)
        self.write_done = True  # the Write log stays on screen until the operator moves on
        self._refresh()


def run(repo: Path, crd_dir: Path | None, charts_dir: Path | None, *, strict: bool = False, init_layout: bool = False) -> int:
    session = Session.open(repo, crd_dir, charts_dir, strict=strict, init_layout=init_layout)
    app = WizardApp(session)
    result = app.run()
    if app.report_lines:  # the Write step's report stays readable after the screen is gone
        print("\n".join(app.report_lines))
    return int(Exit.CANCELLED) if result is None else int(result)
