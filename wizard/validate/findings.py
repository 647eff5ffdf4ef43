"""What validation reports: one finding per problem, naming file, document and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning", "skipped"]


@dataclass(frozen=True)
class Finding:
    level: Level
    check: str  # e.g. "crd-schema", "kustomize"
    message: str
    file: str | None = None
    document: str | None = None  # "HelmRelease/loki (document 1)"
    path: str | None = None  # "spec.values.loki"

    def line(self) -> str:
        where = ": ".join(p for p in (self.file, self.document, self.path) if p)
        return f"{self.level}: [{self.check}] {where + ': ' if where else ''}{self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, other: Report) -> None:
        self.findings.extend(other.findings)
        self.checks_run.extend(other.checks_run)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors
