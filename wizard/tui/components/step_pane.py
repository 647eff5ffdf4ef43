"""An answer step, generated from the model: its fields (advanced ones folded), its errors, its extras."""

from __future__ import annotations

from textual.containers import VerticalScroll

from wizard.answers import form
from wizard.tui.text import styled


class StepPane(VerticalScroll):
    """Empty until the step is first visited (a fast first screen); then ``build`` mounts its fields."""

    def __init__(self, number: int, **kwargs) -> None:
        super().__init__(id=f"step-{number}", classes="pane", **kwargs)
        self.number = number
        self.step: form.Step | None = None
        self.built = False

    async def build(self, draft: form.Draft, step: form.Step) -> None:
        if self.built:
            return
        self.built = True
        self.step = step
        await self.mount_all(self._children(draft))

    def _children(self, draft: form.Draft) -> list:
        # The fields' widgets (Input, Select, Switch) and the pictures load with the first step visited.
        from textual.widgets import Collapsible, Static

        from wizard.tui.components.disk_chart import DiskChart
        from wizard.tui.components.field_row import FieldRow
        from wizard.tui.components.latency_bar import LatencyBar
        from wizard.tui.components.secrets_guide import SecretsGuide

        step, number = self.step, self.number
        rows = [FieldRow(q, draft.text(q), placeholder(draft, q), draft.note(q)) for q in step.questions if not q.advanced]
        advanced = [FieldRow(q, draft.text(q), placeholder(draft, q), draft.note(q)) for q in step.questions if q.advanced]
        children: list = [Static(styled((step.title, "bold")), classes="pane-title"), *rows]
        if "metrics" in step.sections:  # the pictures right under the fields they draw
            children.append(DiskChart(id="disk-chart", classes="chart"))
        if "alerting" in step.sections:
            children.append(LatencyBar(id="alerts-latency", classes="chart"))
        if advanced:
            children.append(Collapsible(*advanced, title=f"Advanced options ({len(advanced)})", collapsed=True))  # our text only
        children.append(Static("", classes="step-error", id=f"step-error-{number}"))
        if "metrics" in step.sections:
            children.append(Static("", id="sizing"))
        if "secrets" in step.sections:
            children.append(SecretsGuide())  # what 1Password must hold, how to reach Connect, Check now / Skip
        return children


def placeholder(draft: form.Draft, question: form.Question) -> str:
    if question.key == "grafana.hostname":
        domain = draft.values.get("cluster.domain")
        return f"grafana.{domain}" if domain else "grafana.<domain>"
    if question.key == "metrics.retention_size":
        return "about 85% of the volume"
    return ""
