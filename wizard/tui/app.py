"""The interactive wizard: Welcome -> the answer steps (generated) -> Review -> Write -> Done."""

from __future__ import annotations

import sys
from pathlib import Path

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Footer, Header, OptionList, Static

from wizard.answers import form
from wizard.base.errors import Exit, WizardError
from wizard.session import Session
from wizard.tui.components.platform_diagram import PlatformDiagram
from wizard.tui.components.step_list import StepList
from wizard.tui.components.step_pane import StepPane
from wizard.tui.components.welcome import WelcomePane
from wizard.tui.messages import AllConflictsChosen, ConflictChosen, FieldEdited, FieldSubmitted
from wizard.tui.text import ascii_only, lines, literal, mark

NARROW_COLUMNS = 90  # below this the step sidebar folds away; the title still says "Step N of M"
SECRETS_SKIP = "1Password items not checked: you chose Skip on the Secrets step"
FLAG_SKIP = "1Password items not checked: --skip-secret-check"


def _shown(widget, pane) -> bool:
    """Displayed, and so is every container up to the step pane (a folded Advanced options hides its fields)."""
    node = widget
    while node is not None and node is not pane:
        if not node.display:
            return False
        node = node.parent
    return True


CONNECT_FIELDS = ("connect-host", "connect-token")  # the Secrets step's Connect inputs (never saved answers)


class LaterPane(Static):
    """Review, Write or Done before its first visit: the first frame composes Welcome and the step list, not
    the panes (and modules) of the steps after the answers. ``WizardApp.pane`` puts the real one in its place."""


#: Review, Write and Done in order: (module under wizard.tui.components, pane class), imported on the first visit.
LATER_PANES = (("review", "ReviewPane"), ("write_log", "WritePane"), ("done", "DonePane"))


def _verify_screen_up(screen) -> bool:
    """The verify screen is up (its module is loaded only once Done has offered it)."""
    verify = sys.modules.get("wizard.tui.components.verify_screen")
    return verify is not None and isinstance(screen, verify.VerifyScreen)


class WizardApp(App[int]):
    """Walks the quickstart; writes nothing before the operator confirms on the Review step."""

    CSS_PATH = ["wizard.tcss", "pictures.tcss"]  # pictures.tcss: the diagram and the charts
    TITLE = "obs-wizard"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        # Enter in a field is handled as the key arrives: keys typed right after it land in the next field
        # (a Select's Enter goes on as well; Space or Down opens its list, Space toggles a switch).
        Binding("enter", "enter_field", "Next field", show=False, priority=True),
        # Tab too: Textual resolves it only once the key has bubbled back up, after keys typed next went
        # to the field it was leaving ("example.com" Tab "3" gave "example.com3").
        Binding("tab", "move_focus(1)", "Next field", show=False, priority=True),
        Binding("shift+tab", "move_focus(-1)", "Previous field", show=False, priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("escape", "escape", "Back / Quit"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+t", "toggle_dark", "Theme"),
        # Checked after the focused widget's own keys: a button or a hidden list never swallows them.
        Binding("pagedown", "scroll_pane('page_down')", "Page down", show=False),
        Binding("pageup", "scroll_pane('page_up')", "Page up", show=False),
        Binding("end", "scroll_pane('end')", "End", show=False),
        Binding("home", "scroll_pane('home')", "Home", show=False),
    ]

    def __init__(self, session: Session, *, repo_label: str | None = None, theme_name: str | None = None,
                 skip_secret_check: bool = False) -> None:
        super().__init__()
        self.session = session
        self.repo_label = repo_label or str(session.repo)
        # The answers being edited and the questions: built from the model just after the first frame (or by the
        # first handler that needs them), so Welcome is drawn before pydantic and the model are loaded.
        self._draft: form.Draft | None = None
        self._form_steps: tuple[form.Step, ...] | None = None
        self.titles = ["Welcome", *(title for title, _ in form.STEP_SECTIONS), "Review", "Write", "Done"]
        self.index = 0
        self.choices: dict[str, dict[str, str]] = {}  # conflict picks: file -> YAML path -> side
        self.plan = None
        self.written: list[str] = []
        self.attempted: set[int] = set()  # steps where Next was tried: all their errors are shown
        self.skipped: list[str] = [FLAG_SKIP] if skip_secret_check else []  # checks skipped by choice, on Review and Done
        self.write_failed = False
        self.write_done = False
        self.report_lines: list[str] = []  # the Write step's log, printed to the terminal after exit
        self.applied: dict[str, str] = {}  # the text each edited field's answer was set from (errors are about it)
        self.validation_skipped: list[str] = []  # the validation checks the write skipped, with reason and remedy (Done)
        self.done_text: list[str] = []  # printed to the terminal after exit
        self.reviewed = None  # the answers Review showed (and planned from): exactly what Write files writes
        self.crash: str | None = None  # the class of an exception that ended the app (never its text or locals)
        self._write_thread = None  # the write worker's thread: joined before the exit message says what was written
        if theme_name:
            self.theme = theme_name

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Folded or not before anything is mounted: a class set on the screen afterwards restyles every
        # widget in it (about 20 ms of the first frame at 80 columns).
        self.screen.set_class(self.size.width < NARROW_COLUMNS, "-narrow")
        yield Header(show_clock=False, icon="*" if ascii_only() else None)
        with Horizontal(id="body"):
            yield StepList(self.titles, id="steps")
            with ContentSwitcher(initial="step-0", id="panes"):
                yield WelcomePane(self.session, self.repo_label, id="step-0", classes="pane")
                for number in range(1, self.review_index):
                    yield StepPane(number)  # built on the first visit
                for number in range(self.review_index, self.review_index + 3):
                    yield LaterPane(id=f"step-{number}", classes="pane")  # Review, Write, Done: built on the first visit
        with Horizontal(id="nav"):
            yield Static("", id="status")
            yield Button("Back", id="back")
            yield Button("Next", id="next", variant="primary")
        yield Footer()

    @property
    def review_index(self) -> int:
        return len(form.STEP_SECTIONS) + 1

    @property
    def draft(self) -> form.Draft:
        if self._draft is None:
            self._draft = self.session.initial_draft()
        return self._draft

    @property
    def form_steps(self) -> tuple[form.Step, ...]:
        if self._form_steps is None:
            self._form_steps = form.steps(self.session.choices())
            titles = [step.title for step in self._form_steps]
            # Every model section has its place in form.STEP_SECTIONS (a test keeps it so), so the step list
            # drawn before the model was loaded names the same steps.
            assert titles == self.titles[1:self.review_index], titles
        return self._form_steps

    def _answers_loaded(self) -> None:
        """Right after the first frame: the model, the draft (both loaded by _refresh) and the pictures that follow."""
        self._refresh()

    async def pane(self, index: int):
        """The pane of step ``index``, built first if this is its first visit (Review, Write and Done are)."""
        pane = self.query_one(f"#step-{index}")
        if not isinstance(pane, LaterPane):
            return pane
        import importlib

        module, name = LATER_PANES[index - self.review_index]
        real = getattr(importlib.import_module(f"wizard.tui.components.{module}"), name)(id=pane.id, classes="pane")
        real.display = False  # the switcher shows it when it is the current step
        panes = self.query_one("#panes", ContentSwitcher)
        after = panes.children[panes.children.index(pane) - 1]  # Welcome at least comes before it
        await pane.remove()
        await panes.mount(real, after=after)
        return real

    def _built(self, index: int):
        """The pane of a step already visited (its widgets exist)."""
        pane = self.query_one(f"#step-{index}")
        assert not isinstance(pane, LaterPane), f"step {index} has not been built"
        return pane

    def on_mount(self) -> None:
        self.set_class(ascii_only(), "-ascii")  # the Linux console: Textual's own borders drawn in ASCII too
        if ascii_only():  # and its scrollbars without eighth blocks (the thumb is its colour alone); restored on exit
            from textual.scrollbar import ScrollBarRender

            self._scrollbar_glyphs = (ScrollBarRender.VERTICAL_BARS, ScrollBarRender.HORIZONTAL_BARS)
            ScrollBarRender.VERTICAL_BARS = ScrollBarRender.HORIZONTAL_BARS = [" "] * 8
        self._fold_sidebar(self.size.width)
        # Welcome's first frame: the step list, buttons and title. Nothing has been typed or judged yet, so there is
        # no error to mark; the model loads with the full refresh after this frame (_answers_loaded).
        self.query_one(StepList).mark(self.index, lambda i: False)
        self._refresh_nav({})
        self.query_one("#start", Button).focus()  # Enter starts step 1; never the (possibly folded) step list
        self.call_after_refresh(self._answers_loaded)

    def _handle_exception(self, error: Exception) -> None:
        """Any exception from a handler or worker ends the app with exit 70 and one line on stderr (``run``).

        Textual's own crash screen is never drawn: its traceback shows local variables (a Connect token, a
        host URL with a password). Only the exception's class is kept; its message may hold a value too."""
        if self.crash is None:
            inner = getattr(error, "error", None)  # a worker's failure wraps what was raised in it
            self.crash = (inner if isinstance(inner, BaseException) else error).__class__.__name__
            self._exception = error  # re-raised by run_test only (tests); run() never prints it
        self._return_code = int(Exit.INTERNAL)
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        glyphs = getattr(self, "_scrollbar_glyphs", None)
        if glyphs is not None:
            from textual.scrollbar import ScrollBarRender

            ScrollBarRender.VERTICAL_BARS, ScrollBarRender.HORIZONTAL_BARS = glyphs

    def format_title(self, title: str, sub_title: str):
        """The header's "title — step": a hyphen on the Linux console."""
        content = super().format_title(title, sub_title)
        return Content(content.plain.replace(" — ", " - ")) if ascii_only() else content

    def on_resize(self, event: events.Resize) -> None:
        self._fold_sidebar(event.size.width)

    def _fold_sidebar(self, width: int) -> None:
        narrow = width < NARROW_COLUMNS
        self.screen.set_class(narrow, "-narrow")
        steps = self.query_one(StepList)
        steps.can_focus = not narrow  # a folded list takes no keys (PageDown on it crashed Textual's OptionList)
        if narrow and self.focused is steps:
            self._focus_first(self.query_one(f"#step-{self.index}"))

    # --- state -----------------------------------------------------------------------------------

    def _errors(self) -> dict[str, str]:
        return self.draft.errors()

    def _step_errors(self, index: int, errors: dict[str, str]) -> list[tuple[str, str]]:
        if 1 <= index <= len(self.form_steps):
            return form.step_errors(self.form_steps[index - 1], errors)
        return []

    def _visible_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Errors the operator has earned: on fields typed in or left, and on steps where Next was tried."""
        touched = {row.question.key for row in self.query("FieldRow") if row.touched}
        shown = {}
        for number, step in enumerate(self.form_steps, start=1):
            keys = {q.key for q in step.questions}
            step_touched = bool(keys & touched)
            for key, message in form.step_errors(step, errors):
                if number in self.attempted or key in touched or (key not in keys and step_touched):
                    shown[key] = message
        return shown

    def _refresh(self) -> None:
        errors = self._errors()
        visible = self._visible_errors(errors)
        for steps in self.query(StepList):  # none while the app is still composing or already shutting down
            steps.mark(self.index, lambda i: bool(self._step_errors(i, visible)))
        for row in self.query("FieldRow"):
            row.show_error(visible.get(row.question.key), self.applied.get(row.question.key))
        for number, step in enumerate(self.form_steps, start=1):
            spanning = [m for k, m in visible.items() if k in step.sections]
            for widget in self.query(f"#step-error-{number}"):
                widget.update(literal("\n".join(f"{mark('fail')} {m}" for m in spanning)))
        self._refresh_sizing()
        self._refresh_secrets()
        self._refresh_nav(visible)

    def _refresh_nav(self, visible: dict[str, str]) -> None:
        """The buttons, the step's problem count and the title."""
        review = self.review_index
        back, nxt = self.query_one("#back", Button), self.query_one("#next", Button)
        # A button that can do nothing is not shown: no Back on Welcome, while writing or on Done; no Next
        # while the write runs or after it failed (Back to Review, or Skip, are the ways on).
        back.display = 0 < self.index <= review or (self.index == review + 1 and self.write_failed)
        back.label = "Back to Review" if self.index == review + 1 else "Back"
        nxt.label = {review: "Write files", review + 2: "Finish"}.get(self.index, "Next")
        nxt.display = self.index != review + 1 or self.write_done
        mine = self._step_errors(self.index, visible)
        self.query_one("#status", Static).update(literal(f"{mark('fail')} {len(mine)} problem(s) on this step" if mine else ""))
        self.sub_title = "Welcome" if self.index == 0 else f"Step {self.index} of {len(self.titles) - 1}: {self.titles[self.index]}"

    def _refresh_sizing(self) -> None:
        shown = self.query("#sizing")  # on the Retention step, once it is built
        if shown:
            from wizard.render import sizing

            try:
                answers = self.draft.answers()
            except ValueError:
                text = f"Sizing: the estimate waits for {self._invalid_fields()}."
            else:
                text = "\n".join(sizing.summary(answers) + [f"{mark('warn')} {w}" for w in sizing.warnings(answers)])
            for widget in shown:
                widget.update(literal(text))
        self._refresh_pictures()

    def _invalid_fields(self) -> str:
        """The fields whose values are not valid yet, by their titles, for a message that waits on them."""
        titles = list(dict.fromkeys(self._where(key) for key in self._errors()))
        if not titles:
            return "valid answers"
        return "a valid " + ", ".join(f'"{t}"' for t in titles[:3]) + (f" (and {len(titles) - 3} more)" if len(titles) > 3 else "")

    def _where(self, key: str) -> str:
        """The title of the field a problem is about; a rule across fields is named by its step."""
        if "." in key:
            return form.title_of(key)
        step = next((s for s in self.form_steps if key in s.sections), None)
        return f"the {step.title} answers" if step is not None else "the answers"

    def _refresh_pictures(self) -> None:
        """The platform diagram (Welcome, Review), the disk chart and the latency bar follow the answers as typed."""
        from wizard.render import platform_map

        pmap = platform_map.from_draft(self.draft)
        for diagram in self.query(PlatformDiagram):
            diagram.show(pmap)
        try:
            answers = self.draft.answers()
        except ValueError:
            answers = None  # the fields say what is wrong; the charts wait for valid answers
        for chart in self.query("DiskChart"):
            chart.show(answers)
        for chart in self.query("LatencyBar"):
            chart.show(answers)

    def _refresh_secrets(self) -> None:
        """The Secrets step's list: what the current answers' ExternalSecrets read, and how to reach Connect."""
        for guide in self.query("SecretsGuide"):
            from wizard.onepassword.guide import needs, reach_lines
            from wizard.render.render import RenderError, render

            try:
                answers = self.draft.answers()
                files = render(answers)
            except (ValueError, RenderError):
                guide.update([], [], "Fix the answers above to see what 1Password must hold.")
                continue
            guide.update(needs(answers, files), reach_lines(self.session.found, answers.secrets.store))

    @on(FieldEdited)
    def _edited(self, event: FieldEdited) -> None:
        if self.index > self.review_index:
            return  # the write has started from what Review showed; a late keystroke changes nothing now
        before = dict(self.draft.values)
        self.draft.set_text(event.question, event.text)
        self.applied[event.question.key] = event.text
        if self.index == self.review_index and self.draft.values != before:
            self._build_review()  # a keystroke that arrived after Next: Review shows (and writes) what it changed
            self.call_after_refresh(self._focus_first, self._built(self.review_index))  # its rows were rebuilt
        self._refresh()

    async def action_enter_field(self) -> None:
        from textual.actions import SkipAction
        from textual.widgets import Input, Select, Switch

        from wizard.tui.components.field_row import FieldRow

        focused = self.focused
        pane = self.query_one(f"#step-{self.index}")
        row = next((w for w in (focused.ancestors_with_self if focused else []) if isinstance(w, FieldRow)), None)
        if (not self._modal() and isinstance(focused, Input) and focused.id in CONNECT_FIELDS
                and pane in focused.ancestors):  # the Connect host and token: the next field, after the token the next step
            await self._next_field(pane)
            return
        if self._modal() or row is None or not isinstance(focused, (Input, Select, Switch)) or pane not in row.ancestors:
            raise SkipAction()  # a button, a list, a dialog: Enter does what it does there
        row.touched = True
        if isinstance(focused, Input):
            self.draft.set_text(row.question, focused.value)  # the value as typed up to this Enter
            self.applied[row.question.key] = focused.value
        await self._next_field(pane)

    async def _next_field(self, pane) -> None:
        fields = [w for w in pane.query("Input, Select, Switch") if w.focusable and _shown(w, pane)]
        if self.focused in fields and fields.index(self.focused) + 1 < len(fields):
            self.screen.set_focus(fields[fields.index(self.focused) + 1])  # now: keys typed next land there
        else:
            self._refresh()
            await self.action_next()

    @on(FieldSubmitted)
    async def _submitted(self, event: FieldSubmitted) -> None:
        """Enter: the next field of this step, or on its last field the next step."""
        pane = self.query_one(f"#step-{self.index}")
        if event.question is not None and not pane.query(f"#row-{event.question.key.replace('.', '-')}"):
            return  # an Enter typed ahead in a step already left: it must not move on a second time
        await self._next_field(pane)

    @on(ConflictChosen)
    def _conflict_chosen(self, event: ConflictChosen) -> None:
        self.choices.setdefault(event.file, {})[event.path] = event.side
        self._compute_plan(self.reviewed)
        review = self._built(self.review_index)
        if self.plan is None:
            return
        if event.path == "" and event.side == "adopt":
            review.show_adopted(self.plan, event.file)
        else:
            review.update_plan(self.plan)

    @on(AllConflictsChosen)
    def _all_chosen(self, event: AllConflictsChosen) -> None:
        for picker in self.query("ConflictPicker"):
            self.choices.setdefault(picker.file, {})[picker.conflict.path] = event.side
            picker.choose(event.side)
        self._compute_plan(self.reviewed)
        if self.plan is not None:
            self._built(self.review_index).update_plan(self.plan)

    # --- navigation ------------------------------------------------------------------------------

    async def _go(self, index: int) -> None:
        self.index = index
        pane = await self.pane(index)
        if isinstance(pane, StepPane):
            await pane.build(self.draft, self.form_steps[index - 1])
        self.query_one("#panes", ContentSwitcher).current = f"step-{index}"
        if index == self.review_index:
            mounting = self._build_review()
            if mounting is not None:
                await mounting  # the conflict rows exist before the focus is placed
        self._refresh()
        # Focus moves now, not after the next refresh: keys typed ahead must land in this step, never in
        # a field of the step just left (where they changed answers after Review had planned them).
        self._focus_first(pane)
        self.call_after_refresh(self._focus_first, pane)

    def _focus_first(self, pane) -> None:
        if pane.id != f"step-{self.index}":
            return  # a late call for a step already left (a busy machine refreshes late): never pull focus back
        if self.index == self.review_index + 1 and (self.write_failed or self.write_done):
            return  # a write that ended before this ran has put the focus on the way on (Back to Review, Next)
        if self.focused is not None and self.focused is not pane and pane in self.focused.ancestors:
            return  # keys typed before this ran already moved into the step: never yank focus back
        focusable = [w for w in pane.query("Input, Select, Switch, RadioSet, #start") if w.focusable and _shown(w, pane)]
        target = focusable[0] if focusable else self.query_one("#next", Button)
        if target.focusable and target.display:
            self.screen.set_focus(target)
        elif self.focused is not None and not self.focused.display:
            # Never leave the focus on a button just hidden (Next while the write runs): Textual blurs a widget
            # when its Hide event is handled, even if it is shown and focused again by then (a fast write's
            # Next lost the focus to the log, at random).
            self.screen.set_focus(None)
        if not focusable and pane.id != f"step-{self.review_index + 1}":  # not the Write step
            pane.scroll_home(animate=False)  # the Write log follows its newest line (a late call jumped it to the top)

    def action_move_focus(self, step: int) -> None:
        if step > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def action_scroll_pane(self, how: str) -> None:
        """PageDown/PageUp/End/Home scroll the current step (the Write log, Done, Review) wherever the focus is."""
        pane = self.screen.query_one("#verify-body") if _verify_screen_up(self.screen) else self.query_one(f"#step-{self.index}")
        {"page_down": pane.scroll_page_down, "page_up": pane.scroll_page_up,
         "end": pane.scroll_end, "home": pane.scroll_home}[how](animate=False)

    def _show_result(self) -> None:
        """The Write step's last line (the result) on screen, whatever the terminal's height."""
        self.call_after_refresh(self._built(self.review_index + 1).scroll_end, animate=False)

    def _modal(self) -> bool:
        """A dialog (answered first) or the verify screen is up: Ctrl+N/Ctrl+B/Enter wait."""
        return isinstance(self.screen, ModalScreen) or _verify_screen_up(self.screen)

    async def action_next(self) -> None:
        """Next (Ctrl+N): the next step. It never writes: on Review it points to Write files."""
        if self._modal():
            return
        problems = self._step_errors(self.index, self._errors())
        if problems:
            self.attempted.add(self.index)
            self._refresh()
            self.bell()
            key, first = problems[0]
            from wizard.tui.components.field_row import screen_message

            question = next((q for q in self.form_steps[self.index - 1].questions if q.key == key), None)
            first = screen_message(question, first) if question is not None else first
            self.notify(f"Fix this step first: {self._where(key)}: {first}"
                        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                        severity="error", title="Next refused", markup=False)
            return
        if self.index == self.review_index:
            self.query_one("#next", Button).focus()
            self.notify("Next does not write. To write, press Enter on Write files (or click it); Ctrl+B goes back.",
                        title="Review", markup=False)
        elif self.index == self.review_index + 2:
            self.exit(int(Exit.OK))
        elif self.index == self.review_index + 1 and self.write_done:
            await self._go(self.review_index + 2)
        elif self.index < self.review_index:
            await self._go(self.index + 1)

    async def action_back(self) -> None:
        if self._modal():
            return
        if self.index == self.review_index + 1 and self.write_failed:
            await self._go(self.review_index)  # after a failed write: back to Review, the sidebar with it
        elif 0 < self.index <= self.review_index:
            await self._go(self.index - 1)

    async def action_escape(self) -> None:
        if self.index == 0:
            self.action_quit()
        else:
            await self.action_back()

    def action_quit(self) -> None:  # type: ignore[override]
        if _verify_screen_up(self.screen):
            self.screen.stop.set()  # a wait in progress ends with the wizard
        if self.index == self.review_index + 2 or self.write_done:  # written: quitting is finishing
            self.exit(int(Exit.OK))
            return
        from wizard.tui.components.confirm import Confirm

        if isinstance(self.screen, Confirm):  # already asking
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(int(Exit.CANCELLED))

        self.push_screen(Confirm("Quit obs-wizard? Nothing has been written; the repo stays as it is." if not self.written
                                 else "Quit obs-wizard?", yes="Quit", no="Stay"), answered)

    def action_help(self) -> None:
        from wizard.tui.components.field_row import FieldRow, screen_message
        from wizard.tui.components.help_screen import HelpScreen

        row = next((w for w in (self.focused.ancestors_with_self if self.focused else []) if isinstance(w, FieldRow)), None)
        if row is not None:
            q = row.question
            problem = self._errors().get(q.key)
            self.push_screen(HelpScreen(q.title, q.help, screen_message(q, problem) if problem else None))
        else:
            self.push_screen(HelpScreen(self.titles[self.index], "Help for a field: move into it and press F1."))

    @on(Button.Pressed, "#next")
    async def _next_pressed(self) -> None:
        if self.index == self.review_index:  # the button says Write files: pressing it is the deliberate choice
            await self._confirm_write()
        else:
            await self.action_next()

    @on(Button.Pressed, "#verify-start")
    def _verify_pressed(self) -> None:
        """Done's offer: the checks of ``obs-wizard verify`` on the cluster, once Flux has applied the commit."""
        from wizard.answers.answers_file import ANSWERS_PATH
        from wizard.tui.components.verify_screen import VerifyScreen

        def closed(_=None) -> None:
            self._refresh()  # the title says Done again

        self.push_screen(VerifyScreen(self.session.repo, self.session.repo / ANSWERS_PATH), closed)

    @on(Button.Pressed, "#start")
    async def _start_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    @on(OptionList.OptionSelected, "#steps")
    async def _step_clicked(self, event: OptionList.OptionSelected) -> None:
        target = int(str(event.option.id).removeprefix("nav-"))
        if target > self.review_index or self.index > self.review_index:
            self._refresh()
            return
        errors = self._errors()
        blocking = next((i for i in range(1, target) if self._step_errors(i, errors)), None)
        if target > self.index and blocking is not None:
            self.attempted.add(blocking)
            self.notify(f"Fix the {self.titles[blocking]} step first.", severity="error", title="Not yet", markup=False)
            self._refresh()
            return
        await self._go(target)

    # --- review ----------------------------------------------------------------------------------

    def _compute_plan(self, answers=None) -> str | None:
        """Plan the write for ``answers`` (those Review showed) and the conflict picks; the reason when it cannot."""
        try:
            self.plan = self.session.plan(answers if answers is not None else self.draft.answers(), choose=self.choices or None)
        except Exception as exc:  # noqa: BLE001 - shown to the operator, never a traceback
            self.plan = None
            return getattr(exc, "message", None) or str(exc).splitlines()[0]
        return None

    def _build_review(self):
        """Review the answers as they are now; they are kept, and Write files writes exactly these."""
        review = self._built(self.review_index)
        try:
            self.reviewed = self.draft.answers()
        except ValueError as exc:  # a keystroke typed ahead made an answer invalid: say which, plan nothing
            self.reviewed, self.plan = None, None
            errors = self._errors()
            review.show_problem(next(iter(errors.values()), None) or str(exc).splitlines()[0])
            return None
        problem = self._compute_plan(self.reviewed)
        if problem is not None or self.plan is None:
            review.show_problem(problem)
            return None
        return review.show(self.plan, self.reviewed, self.choices, skipped=self.skipped, saved=self.session.saved,
                           dialect=self.session.found.dialect_lines())

    async def _confirm_write(self) -> None:
        if self.reviewed is None or self.plan is None:
            self.notify("Go back and fix the answers first: Review shows why it cannot plan.", severity="error",
                        title="Cannot write", markup=False)
            return
        unsettled = self.plan.conflicts
        if unsettled:
            self.notify(f"{len(unsettled)} file(s) still need a choice on this screen.", severity="error",
                        title="Write refused", markup=False)
            return
        host, token = self._connect()
        from wizard.onepassword.check import needs_items

        if (host and token) or self.skipped or not needs_items(self.reviewed):  # no ExternalSecret: nothing to check
            await self._start_write(host, token)
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                self.skipped.append("1Password items not checked: Connect was not configured")
                await self._start_write(None, None)

        from wizard.tui.components.confirm import Confirm

        self.push_screen(Confirm("1Password Connect is not configured, so the items cannot be checked. "
                                 "Write the files without checking them?", yes="Write anyway", no="Back"), answered)

    def _connect(self) -> tuple[str, str]:
        from textual.widgets import Input

        host = self.query("#connect-host").first(Input).value.strip() if self.query("#connect-host") else ""
        token = self.query("#connect-token").first(Input).value.strip() if self.query("#connect-token") else ""
        if not host or not token:
            import os

            host, token = host or os.environ.get("OP_CONNECT_HOST", ""), token or os.environ.get("OP_CONNECT_TOKEN", "")
        return host, token

    async def _start_write(self, host: str | None, token: str | None) -> None:
        answers, the_plan = self.reviewed, self.plan  # exactly what Review shows
        if answers is None or the_plan is None:
            return
        if self.index == self.review_index + 1 and not self.write_failed:
            return  # a write is running (or done): one write per Review
        self.write_failed = False
        (await self.pane(self.review_index + 1)).clear()
        await self.pane(self.review_index + 2)  # Done, built before the write's end fills it in
        await self._go(self.review_index + 1)
        self._write(answers, the_plan, None if self.skipped else host, None if self.skipped else token)

    @on(Button.Pressed, "#skip-check")
    async def _skip_check(self) -> None:
        from wizard.onepassword.gateway import shown_host

        host, _ = self._connect()
        self.skipped.append(f"1Password items not checked: Connect at {shown_host(host)} was unreachable (you chose Skip)")
        await self._start_write(None, None)

    # --- secret check and write (workers) ------------------------------------------------------

    @on(Button.Pressed, "#check-now")
    def _check_now(self) -> None:
        host, token = self._connect()
        results = self.query_one("#check-results", Static)
        if not (host and token):
            results.update(literal(f"{mark('fail')} Enter the Connect host and token first (see above how to reach Connect)."))
            return
        try:
            answers = self.draft.answers()
        except ValueError:
            results.update(literal(f"{mark('fail')} Fix the answers first."))
            return
        if SECRETS_SKIP in self.skipped:  # checking after all
            self.skipped.remove(SECRETS_SKIP)
            self.query_one("SecretsGuide").set_skipped(False)
        results.update(literal("checking…"))
        self._run_check(answers, host, token)

    @on(Button.Pressed, "#skip-secrets")
    def _skip_secrets(self) -> None:
        """Write without checking the items: remembered, and repeated on Review and Done."""
        skip = SECRETS_SKIP not in self.skipped
        if skip:
            self.skipped.append(SECRETS_SKIP)
        else:
            self.skipped.remove(SECRETS_SKIP)
        self.query_one("SecretsGuide").set_skipped(skip)
        self.query_one("#check-results", Static).update(
            literal(f"{mark('warn')} {SECRETS_SKIP}; Review and Done will say so." if skip else ""))

    @work(thread=True, exclusive=True, group="secrets")
    def _run_check(self, answers, host: str, token: str) -> None:
        from wizard.onepassword.check import check_connect

        seen: list = []
        guide = self.query_one("SecretsGuide")
        results = self.query_one("#check-results", Static)

        import os

        typed = token != os.environ.get("OP_CONNECT_TOKEN", "")  # the token came from the field, not the environment

        def said(text: str) -> str:  # what is true about where the token came from
            return text.replace("check OP_CONNECT_TOKEN", "check the Connect token typed above") if typed else text

        def about_connect() -> list[str]:  # the vault, items and labels show beside their rows
            return [said(o.marked()) for o in seen if not o.check.startswith(("vault ", "item ", "field ", "labels of "))]

        def shown() -> None:  # the results sit below the buttons: bring them on screen once laid out
            self.call_after_refresh(results.scroll_visible, animate=False)

        def live(outcome) -> None:  # each check appears as soon as it is known
            seen.append(outcome)
            self.call_from_thread(guide.show_outcomes, seen, answers.secrets.vault)
            self.call_from_thread(results.update, lines(*about_connect(), "checking…"))
            self.call_from_thread(shown)

        report = check_connect(answers, host, token, on_outcome=live)
        failed = [o for o in report.outcomes if o.status == "fail"]
        if report.ok:
            verdict = f"{mark('ok')} all checks passed"
        else:  # name what failed here, not only in its row far above
            first = failed[0]
            verdict = (f"{mark('fail')} the items are not what the ExternalSecrets need: {first.check}: {said(first.message)}"
                       + (f" (and {len(failed) - 1} more, marked above)" if len(failed) > 1 else ""))
        self.call_from_thread(guide.show_outcomes, report.outcomes, answers.secrets.vault)
        self.call_from_thread(results.update, lines(*about_connect(), verdict))
        self.call_from_thread(shown)

    @work(thread=True, exclusive=True, group="write")
    def _write(self, answers, the_plan, host: str | None, token: str | None) -> None:
        """Check, validate and write ``the_plan``: the one Review showed for ``answers`` (never re-read)."""
        import threading

        from wizard.tui.components.write_log import validation_log

        self._write_thread = threading.current_thread()
        pane = self._built(self.review_index + 1)

        def say(line: str, style: str = "") -> None:  # plain text, never markup
            self.call_from_thread(pane.say, line, style)
            self.report_lines = pane.log_lines

        def stage(number: int, text: str) -> None:  # which stage runs, above the log
            self.call_from_thread(pane.stage, number, 3, text)

        from wizard.onepassword.check import NOTHING_TO_CHECK, needs_items

        if not needs_items(answers, the_plan.rendered if the_plan is not None else None):
            say(f"1Password check: {NOTHING_TO_CHECK}")
        elif host and token:
            from wizard.onepassword.check import check_connect

            stage(1, "Checking the 1Password items through Connect…")
            say("Checking the 1Password items through Connect…")
            report = check_connect(answers, host, token, on_outcome=lambda outcome: say("  " + outcome.marked()),
                                   files=the_plan.rendered if the_plan is not None else None)
            if not report.ok:
                from wizard.onepassword.gateway import shown_host

                down = any(o.check == "Connect reachable" and o.status == "fail" for o in report.outcomes)
                if down:
                    say(f"{mark('fail')} Connect at {shown_host(host)} cannot be reached: nothing was written. "
                        "Skip the check (it will be listed as skipped on Done), or go Back.", "bold red")
                else:
                    say(f"{mark('fail')} The 1Password items are not what the ExternalSecrets need: nothing was written. "
                        "Go back, or quit.", "bold red")
                self.call_from_thread(self._write_failed, down)
                return
        else:
            say(f"{mark('warn')} 1Password check skipped ({'--skip-secret-check' if FLAG_SKIP in self.skipped else 'you chose so'}).",
                "yellow")
        stage(2, "Validating the manifests (kustomize, CRD schemas, chart values, promtool, amtool, Alloy)…")
        say("Validating the manifests (kustomize, CRD schemas, chart values, promtool, amtool, Alloy)…")
        validation = self.session.validate(answers, the_plan, on_check=lambda name, done, total: stage(
            2, f"Validating the manifests: {name} checked ({done} of {total} checks)…"))
        for line, style in validation_log(validation):
            say(line, style)
        self.validation_skipped = [f"validation {o.check}: {'; '.join(o.reasons)}" for o in validation.outcomes()
                                   if o.status == "skipped"]
        if not validation.ok:
            why = "Validation failed" if validation.errors else "A check was skipped and --strict is on"
            say(f"{mark('fail')} {why}: nothing was written. Go back and fix the answers, or quit.", "bold red")
            self.call_from_thread(self._write_failed)
            return
        total = len(the_plan.writes)
        stage(3, f"Writing the files (0 of {total})…")
        count = 0

        def wrote(path: str) -> None:
            nonlocal count
            count += 1
            stage(3, f"Writing the files ({count} of {total})…")
            say(f"  {mark('ok')} {path}")

        try:
            self.written = self.session.write(the_plan, progress=wrote)
        except WizardError as exc:
            say(f"{mark('fail')} {exc.message}", "bold red")
            self.call_from_thread(self._write_failed)
            return
        say(f"{mark('ok')} wrote {len(self.written)} file(s), all at once", "bold green")
        self.call_from_thread(self._done, answers)

    def _write_failed(self, connect_down: bool = False) -> None:
        self.write_failed = True  # Back returns to Review (and the sidebar with it)
        pane = self._built(self.review_index + 1)
        pane.finish()
        self._refresh()
        self._show_result()
        if connect_down:
            pane.offer_skip()
        else:
            self.query_one("#back", Button).focus()

    def _done(self, answers) -> None:
        self._built(self.review_index + 1).finish()
        done = self._built(self.review_index + 2)
        done.show(self.repo_label, answers, self.written, self.skipped, rerun=self.session.rerun,
                  validation_skipped=self.validation_skipped)
        self.done_text = done.text
        self.write_done = True  # the Write log stays on screen until the operator moves on
        self._refresh()
        self._show_result()
        self.query_one("#next", Button).focus()


def run(repo: Path, crd_dir: Path | None, charts_dir: Path | None, *, strict: bool = False, init_layout: bool = False,
        skip_secret_check: bool = False) -> int:
    session = Session.open(repo, crd_dir, charts_dir, strict=strict, init_layout=init_layout)
    app = WizardApp(session, skip_secret_check=skip_secret_check)
    result = app.run()
    thread = app._write_thread
    if thread is not None and thread.is_alive():
        thread.join()  # a write in progress completes (or rolls back) before the exit says what was written
    if app.report_lines:  # the Write step's report stays readable after the screen is gone
        print("\n".join(app.report_lines))
    if app.done_text:  # and so do the next steps
        print("\n".join(app.done_text))
    if app.crash is not None or (result is None and app.return_code):
        print(f"obs-wizard: internal error ({app.crash or 'the interface stopped'}) in the wizard; "
              f"{_what_was_written()}. Please report this.", file=sys.stderr)
        return int(Exit.INTERNAL)
    if result is None or result == int(Exit.CANCELLED):
        print(f"obs-wizard: quit; {_what_was_written()}.", file=sys.stderr)
        return int(Exit.CANCELLED)
    return int(result)


def _what_was_written() -> str:
    """The truth about the repo when the wizard ends early."""
    from wizard.write.apply import completed_writes

    written = completed_writes()
    if written:
        return f"the write had completed: all {len(written)} file(s) of the plan were written (review them with `git diff`)"
    return "nothing was written"
