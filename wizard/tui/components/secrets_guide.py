"""The Secrets step's 1Password guidance: what the rendered ExternalSecrets need (vault, items, field
labels), each with its status; how to reach Connect; host and token; Check now and Skip.

Statuses change only when a check ran (Check now) for exactly that vault, item and label: a title
typed since shows "not checked" again. Everything shown is literal text; no secret value ever is.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from wizard.tui.components.secret_input import SecretInput
from wizard.tui.text import lines, literal, mark, styled

if TYPE_CHECKING:  # the 1Password modules load with the Secrets step, never before the first screen
    from wizard.onepassword.check import Outcome
    from wizard.onepassword.guide import Need, Status

SKIP_LABEL, UNDO_SKIP_LABEL = "Skip the check", "Check after all"


def _mark(status: Status) -> str:
    from wizard.onepassword.guide import NOT_CHECKED

    if status.word == "found":
        return mark("warn") if status.warn else mark("ok")
    return mark("skip") if status.word == NOT_CHECKED else mark("fail")


def need_line(need: Need, status: Status):
    """One row: mark and status word (bold when it is a problem: readable without colour), then what."""
    what = {"vault": f"vault {need.name}" + (f"  (read by {need.used_by})" if need.used_by else ""),
            "item": f"item {need.name}" + (f"  (fills {need.used_by})" if need.used_by else ""),
            "field": f"   label {need.name}"}[need.kind]
    from wizard.onepassword.guide import NOT_CHECKED

    word = f"{_mark(status)} {status.word:<11}"
    problem = status.word not in ("found", NOT_CHECKED)
    return styled((word, "bold" if problem else ""), " ", what)


class SecretsGuide(Vertical):
    DEFAULT_CSS = """
    SecretsGuide { height: auto; }
    SecretsGuide #secrets-needs, SecretsGuide #connect-reach { height: auto; margin: 0 0 1 0; }
    SecretsGuide #connect-reach { color: $text-muted; }
    SecretsGuide #secrets-actions { height: auto; }
    SecretsGuide #secrets-actions Button { margin-right: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(id="secrets-guide", **kwargs)
        self.wanted: list[Need] = []
        self.outcomes: list[Outcome] = []  # of the last check
        self.checked_vault: str | None = None
        self.skipped = False
        self._told: tuple[list[str], str] | None = None  # (reach, problem) of an update before the guide was mounted

    def compose(self) -> ComposeResult:
        yield Static(styled(("What 1Password must hold", "bold"), " (read from the rendered ExternalSecrets)"),
                     classes="pane-title")
        yield Static(id="secrets-needs")
        yield Static(styled(("Reach 1Password Connect", "bold"), " (to check the items now; never saved)"), classes="pane-title")
        yield Static(id="connect-reach")
        yield SecretInput("Connect host", "e.g. http://127.0.0.1:8080 (OP_CONNECT_HOST)", os.environ.get("OP_CONNECT_HOST", ""),
                          "connect-host", password=False)
        yield SecretInput("Connect token", "masked; read from OP_CONNECT_TOKEN when set", os.environ.get("OP_CONNECT_TOKEN", ""),
                          "connect-token", password=True)
        with Horizontal(id="secrets-actions"):
            yield Button("Check now", id="check-now")
            yield Button(SKIP_LABEL, id="skip-secrets")
        yield Static("", id="check-results")

    def update(self, wanted: list[Need], reach: list[str], problem: str = "") -> None:
        """What the current answers render, and how to reach Connect for their store."""
        vault = next((n.name for n in wanted if n.kind == "vault"), None)
        if self.checked_vault is not None and vault != self.checked_vault:
            self.outcomes, self.checked_vault = [], None  # another vault: nothing checked applies
        self.wanted = wanted
        if self.is_mounted:
            self._draw(reach, problem)
        else:  # a refresh can reach the guide while its step is being mounted: on_mount shows it
            self._told = (reach, problem)

    def on_mount(self) -> None:  # its children exist now (is_mounted becomes true only after this)
        if self._told is not None:
            self._draw(*self._told)
            self._told = None

    def _draw(self, reach: list[str], problem: str) -> None:
        self.query_one("#connect-reach", Static).update(lines(*reach))
        self._show(problem)

    def show_outcomes(self, outcomes: list[Outcome], vault: str) -> None:
        """A check's outcomes so far (live while it runs)."""
        self.outcomes, self.checked_vault = list(outcomes), vault
        self._show()

    def status_of(self, need: Need) -> Status:
        from wizard.onepassword.guide import statuses

        return statuses(self.wanted, self.outcomes)[0][need]

    def _show(self, problem: str = "") -> None:
        from wizard.onepassword.guide import NOT_CHECKED, statuses

        box = self.query_one("#secrets-needs", Static)
        if problem:
            box.update(literal(problem))
            return
        if not self.wanted:
            box.update(literal("The render has no ExternalSecret (kube-prometheus-stack is off): no 1Password item is needed."))
            return
        found, _ = statuses(self.wanted, self.outcomes)
        rows: list = []
        shared: list[str] = []
        for need in self.wanted:
            status = found[need]
            rows.append(need_line(need, status))
            if status.shared and status.detail not in shared:
                shared.append(status.detail)
            elif status.detail and not status.shared and status.word != NOT_CHECKED:
                rows.append(literal(f"      {status.detail}"))
        rows += [styled((f"{mark('fail')} ", "bold"), detail) for detail in shared]  # once, not on every row
        box.update(lines(*rows))

    def set_skipped(self, skipped: bool) -> None:
        self.skipped = skipped
        self.query_one("#skip-secrets", Button).label = UNDO_SKIP_LABEL if skipped else SKIP_LABEL
        self._show()
