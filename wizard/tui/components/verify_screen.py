"""Verify on the cluster (from Done): the checks of ``obs-wizard verify`` with live progress.

``wizard.verify.run.run_checks`` runs in a worker thread; each check appears as it reports (passed, FAILED,
skipped, with its object's message and remedy), the waiting rounds while Flux is still applying, then the
targets and the summary. What the screen does is in ``verify_screen.md``, shown at its top, above the choice
of sending the test alert; Start runs the checks (Run again after a run). Escape closes it (a wait in
progress stops). Nothing secret is shown: verify never prints one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static, Switch

from wizard.base.errors import WizardError
from wizard.tui.components.write_log import ASCII_SPINNER, SPINNER
from wizard.tui.text import ascii_only, lines, literal, mark, styled

ABOUT = Path(__file__).with_name("verify_screen.md")
MARKS = {"passed": "ok", "failed": "fail", "skipped": "warn"}


class VerifyScreen(Screen[None]):
    BINDINGS = [Binding("escape", "close", "Close"), Binding("ctrl+r", "again", "Run again")]

    def __init__(self, repo: Path, answers_at: Path, *, wait: str | None = "10m", test_alert: bool = True,
                 context: str | None = None) -> None:
        super().__init__(classes="verify")
        self.repo, self.answers_at, self.wait, self.context = repo, answers_at, wait, context
        self.test_alert = test_alert
        self.stop = threading.Event()
        self.running = False
        self.header_line = ""  # the kubectl context and Kubernetes version, once the cluster answered
        self.check_lines: list[tuple[str, str]] = []  # (line, style) per check so far
        self.waiting = ""  # the latest --wait round
        self.result: list[str] = []  # the findings, targets and summary, when the run ended
        self.failed: bool | None = None  # None while running or when the cluster could not be reached
        self._frame = 0

    @property
    def command(self) -> str:
        import shlex

        return (f"obs-wizard verify --repo {shlex.quote(str(self.repo))}" + (f" --wait {self.wait}" if self.wait else "")
                + ("" if self.test_alert else " --no-test-alert"))

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="*" if ascii_only() else None)
        with VerticalScroll(id="verify-body"):
            yield Static(literal(ABOUT.read_text(encoding="utf-8").strip()), id="verify-about")
            with Horizontal(id="verify-options"):
                yield Static("Send one test alert to Slack", classes="field-title")
                yield Switch(value=self.test_alert, id="verify-test-alert")
            yield Static(id="verify-stage")
            yield Static(id="verify-log")
        with Horizontal(id="verify-nav"):
            yield Button("Start", id="verify-again")
            yield Button("Close", id="verify-close", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.app.sub_title = "Verify on the cluster"
        self._timer = self.set_interval(0.2, self._spin)
        self._show()
        self.query_one("#verify-again", Button).focus()

    # --- the run -------------------------------------------------------------------------------------

    def _start(self) -> None:
        if self.running:
            return
        self.running, self.failed = True, None
        self.stop = threading.Event()
        self.header_line, self.check_lines, self.waiting, self.result = "", [], "", []
        self.query_one("#verify-again", Button).disabled = True
        self._show()
        self._run(self.stop)

    @work(thread=True, exclusive=True, group="verify")
    def _run(self, stop: threading.Event) -> None:
        from wizard.verify import checks
        from wizard.verify.run import report_lines, run_checks, summary

        def started(name: str, version: str, answers) -> None:
            self.app.call_from_thread(self._started, f"kubectl context {name} (Kubernetes {version}), "
                                                     f"namespace {answers.flux.namespace}")

        def checked(ctx, check: str) -> None:
            outcomes = [(f"{mark(MARKS[o.status])} {o.line()}", "red" if o.status == "failed" else
                         "yellow" if o.status == "skipped" else "") for o in ctx.report.outcomes()]
            self.app.call_from_thread(self._checked, outcomes)

        try:
            ctx, _ = run_checks(self.repo, self.answers_at, self.context, self.wait, self.test_alert, on_start=started,
                                on_wait=lambda line: self.app.call_from_thread(self._waited, line), on_check=checked, stop=stop)
        except WizardError as exc:  # the cluster cannot be reached, no context, a bad answers file: one line
            self.app.call_from_thread(self._ended, [f"{mark('fail')} {exc.message}"], None)
            return
        report = ctx.report
        failed = any(o.status == "failed" for o in report.outcomes())
        findings = [line for line in report_lines(report) if not line.startswith("  passed") and
                    not line.startswith(("  FAILED", "  skipped"))]
        result = [*findings, "targets:", *checks.target_lines(ctx), summary(report)]
        self.app.call_from_thread(self._ended, result, failed)

    # Each runs on the app's thread; after Close the run may still be finishing: the screen is gone, nothing is drawn.

    @property
    def _live(self) -> bool:
        return self.is_attached and self in self.app.screen_stack

    def _started(self, line: str) -> None:
        self.header_line = line
        if self._live:
            self._show()

    def _checked(self, outcomes: list[tuple[str, str]]) -> None:
        self.check_lines = outcomes
        if self._live:
            self._show()

    def _waited(self, line: str) -> None:
        self.waiting = line
        if self._live:
            self._show()

    def _ended(self, result: list[str], failed: bool | None) -> None:
        self.running, self.result, self.failed = False, result, failed
        self.waiting = ""
        if not self._live:
            return
        again = self.query_one("#verify-again", Button)
        again.disabled, again.label = False, "Run again"
        self._show()
        self.query_one("#verify-body").scroll_end(animate=False)

    # --- drawing -------------------------------------------------------------------------------------

    def _spin(self) -> None:
        if self.running:
            self._frame += 1
            self._show_stage()

    def _show_stage(self) -> None:
        stage = self.query_one("#verify-stage", Static)
        if not self.running and not self.result:
            stage.update(literal("Press Start once Flux has applied your commit."))
        elif self.running:
            frames = ASCII_SPINNER if ascii_only() else SPINNER
            now = self.waiting or (f"checking: {len(self.check_lines)} check(s) reported" if self.header_line
                                   else "reaching the cluster through kubectl…")
            stage.update(styled((f"{frames[self._frame % len(frames)]} ", "bold"), (now, "bold")))
        elif self.failed is None and self.result:
            stage.update(styled(("the cluster could not be checked", "bold red")))
        else:
            stage.update(styled(("verify FAILED" if self.failed else "verify passed", "bold red" if self.failed else "bold green")))

    def _show(self) -> None:
        self._show_stage()
        shown = [styled((f"verify: {self.header_line}", "bold"))] if self.header_line else []
        shown += [styled((line, style)) if style else literal(line) for line, style in self.check_lines]
        shown += [literal(line) for line in self.result]
        if not self.running:
            shown += [*([""] if shown else []), literal(f"The same from a shell: {self.command}")]
        self.query_one("#verify-log", Static).update(lines(*shown) if shown else "")

    # --- keys and buttons ----------------------------------------------------------------------------

    @on(Switch.Changed, "#verify-test-alert")
    def _test_alert(self, event: Switch.Changed) -> None:
        self.test_alert = event.value  # for the next run

    @on(Button.Pressed, "#verify-again")
    def action_again(self) -> None:
        self._start()

    @on(Button.Pressed, "#verify-close")
    def action_close(self) -> None:
        self.stop.set()  # a --wait round in progress ends; the probes are not sent
        self.dismiss()
