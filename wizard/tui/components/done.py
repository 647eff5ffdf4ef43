"""The Done step: what to commit and the commands to run next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from wizard import sizing
from wizard.model import Answers


def done_lines(repo_label: str, answers: Answers) -> list[str]:
    host = answers.grafana_hostname
    return [
        "[b]Done.[/b] The observability apps are in your repo. Next:",
        "",
        f"  cd {repo_label}",
        "  git add kubernetes/apps/observability .obs-wizard",
        '  git commit -m "feat(observability): kube-prometheus-stack, loki and alloy"',
        "  git push",
        "  flux reconcile kustomization cluster-apps --with-source",
        "  flux get kustomizations -n observability",
        "",
        f"Then open https://{host} and log in with the Grafana admin item from 1Password.",
        "To change a setting later, edit .obs-wizard/answers.yaml and run obs-wizard again.",
        *(["", f"⚠ {sizing.heartbeat_warning(answers)}"] if sizing.heartbeat_warning(answers) else []),
    ]


class DonePane(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="done-text")

    def show(self, repo_label: str, answers: Answers) -> None:
        self.query_one("#done-text", Static).update("\n".join(done_lines(repo_label, answers)))
