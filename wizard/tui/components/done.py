"""The Done step: what was written, what to commit, the commands to run next, and the checks skipped.

The same text is printed to the terminal after the wizard exits, so it stays in the scrollback.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from wizard.answers.model import Answers
from wizard.render import sizing
from wizard.tui.components.write_log import PRINTED_AFTER
from wizard.tui.text import lines, literal, mark, styled


def _files(n: int) -> str:
    return "1 file" if n == 1 else f"{n} files"


def done_lines(repo_label: str, answers: Answers, written: list[str] = (), skipped: list[str] = (),
               rerun: bool = False, validation_skipped: list[str] = ()) -> list[str]:
    """``rerun``: the apps were already in the repo; this run changed them (another commit message).

    ``skipped``: the checks skipped by choice (1Password); ``validation_skipped``: the validation checks
    that could not run, each with its reason and remedy. Both are listed with the command that runs them."""
    host = answers.grafana_hostname
    out = ["Done. Your changes to the observability apps are in your repo." if rerun
           else "Done. The observability apps are in your repo."]
    if skipped or validation_skipped:
        out += ["", "Skipped checks (not passed: run them before you push):",
                *(f"  {mark('warn')} {line}" for line in [*validation_skipped, *skipped])]
        out += ["How to run them:"]
        if validation_skipped:
            out += [f"  obs-wizard validate --repo {repo_label}   (once the remedy above is in place)"]
        if skipped:
            out += [f"  OP_CONNECT_HOST=... OP_CONNECT_TOKEN=... obs-wizard check-secrets --repo {repo_label}"]
    if written:
        out += ["", f"Written ({_files(len(written))}, all at once):", *(f"  {line}" for line in _grouped(written))]
    out += [
        "",
        "Commit and reconcile:",
        f"  cd {repo_label}",
        "  git add kubernetes/apps/observability .obs-wizard",
        ('  git commit -m "chore(observability): update from .obs-wizard/answers.yaml"' if rerun
         else '  git commit -m "feat(observability): kube-prometheus-stack, loki and alloy"'),
        "  git push",
        "  flux reconcile kustomization cluster-apps --with-source",
        "  flux get kustomizations -n observability",
        "",
        "Then check it on the cluster (through kubectl; one test alert reaches Slack):",
        f"  obs-wizard verify --repo {repo_label} --wait 10m",
        "",
        f"Then open https://{host} and log in with the Grafana admin item from 1Password.",
        "To change a setting later, edit .obs-wizard/answers.yaml and run obs-wizard again.",
        *(["", f"⚠ {sizing.heartbeat_warning(answers)}"] if sizing.heartbeat_warning(answers) else []),
    ]
    return out


def _grouped(paths: list[str]) -> list[str]:
    """``dir/: a.yaml, app/ (4 files)`` per top directory, so the list fits a screen."""
    groups: dict[str, dict[str, int]] = {}
    for path in paths:
        parts = path.split("/")
        top = "/".join(parts[:3]) + "/" if path.startswith("kubernetes/apps/") and len(parts) > 4 else "/".join(parts[:-1]) + "/"
        rest = path.removeprefix(top)
        entry = rest.split("/")[0] + ("/" if "/" in rest else "")
        groups.setdefault(top, {})[entry] = groups.get(top, {}).get(entry, 0) + 1
    return [f"{top}: " + ", ".join(f"{name} ({_files(n)})" if name.endswith("/") else name for name, n in entries.items())
            for top, entries in groups.items()]


class DonePane(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(id="done-text")
        yield Static(literal("Once Flux has applied it, check it on the cluster from here: the same checks as "
                             "obs-wizard verify, with live progress."), id="done-verify-hint")
        yield Button("Verify on the cluster", id="verify-start")

    def show(self, repo_label: str, answers: Answers, written: list[str] = (), skipped: list[str] = (),
             rerun: bool = False, validation_skipped: list[str] = ()) -> None:
        self.text = done_lines(repo_label, answers, written, skipped, rerun, validation_skipped)
        first, *rest = self.text
        self.query_one("#done-text", Static).update(lines(styled((first, "bold")), *rest, "",
                                                          styled((PRINTED_AFTER, "italic"))))
