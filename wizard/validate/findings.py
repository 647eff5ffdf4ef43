"""What validation reports: one finding per problem, naming file, document and field, and one
outcome per check (passed, failed, or skipped with its reason and remedy) for every front end.

A check that did not run in full is *skipped*, never passed. Under ``--strict`` (or
``OBS_WIZARD_STRICT=1``) a skipped check is a failure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

Level = Literal["error", "warning", "skipped"]
Status = Literal["passed", "failed", "skipped"]

STRICT_ENV = "OBS_WIZARD_STRICT"


def strict_from_env() -> bool:
    """True when ``OBS_WIZARD_STRICT`` asks for every skipped check to fail."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Finding:
    level: Level
    check: str  # e.g. "crd-schema", "kustomize"
    message: str
    file: str | None = None
    document: str | None = None  # "HelmRelease/loki (document 1)"
    path: str | None = None  # "spec.values.loki"
    remedy: str | None = None  # the exact thing to do, e.g. "apt-get install prometheus"

    def line(self) -> str:
        where = ": ".join(p for p in (self.file, self.document, self.path) if p)
        remedy = f"; remedy: {self.remedy}" if self.remedy else ""
        return f"{self.level}: [{self.check}] {where + ': ' if where else ''}{self.message}{remedy}"

    def short(self) -> str:
        """The message with its remedy, without the check name (for an outcome's reason)."""
        where = ": ".join(p for p in (self.file, self.document) if p)
        remedy = f"; remedy: {self.remedy}" if self.remedy else ""
        return f"{where + ': ' if where else ''}{self.message}{remedy}"


@dataclass(frozen=True)
class Outcome:
    """How one check ended. ``reasons`` say why it failed or was skipped, each with its remedy."""

    check: str
    status: Status
    reasons: tuple[str, ...] = ()
    source: str | None = None  # where its data came from, e.g. "CRDs: --crd-dir /x"

    def line(self) -> str:
        source = f" ({self.source})" if self.source else ""
        head = {"passed": "passed ", "failed": "FAILED ", "skipped": "skipped"}[self.status]
        why = f": {'; '.join(self.reasons)}" if self.reasons and self.status != "passed" else ""
        return f"{head} {self.check}{source}{why}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # check -> where its data came from
    strict: bool = False  # a skipped check fails (--strict / OBS_WIZARD_STRICT=1)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, other: Report) -> None:
        self.findings.extend(other.findings)
        self.checks_run.extend(other.checks_run)
        self.sources.update(other.sources)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def skipped(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "skipped"]

    @property
    def ok(self) -> bool:
        return not self.errors and not (self.strict and self.skipped)

    def with_strict(self, strict: bool) -> Report:
        """This report judged with (or without) --strict."""
        return replace(self, findings=list(self.findings), checks_run=list(self.checks_run), sources=dict(self.sources), strict=strict)

    def outcomes(self) -> list[Outcome]:
        """One outcome per check, in the order they ran; a check with any skipped part is skipped."""
        names = list(dict.fromkeys([*self.checks_run, *(f.check for f in self.findings)]))
        result = []
        for name in names:
            mine = [f for f in self.findings if f.check == name]
            errors = [f for f in mine if f.level == "error"]
            skipped = [f for f in mine if f.level == "skipped"]
            source = self.sources.get(name)
            if errors:
                result.append(Outcome(name, "failed", (f"{len(errors)} error(s)", *(f.short() for f in skipped)), source))
            elif skipped and self.strict:
                result.append(Outcome(name, "failed", tuple(f"not run, and --strict fails a skipped check: {f.short()}" for f in skipped), source))
            elif skipped:
                result.append(Outcome(name, "skipped", tuple(f.short() for f in skipped), source))
            elif name in self.checks_run:
                result.append(Outcome(name, "passed", (), source))
        return result

    def summary(self) -> str:
        """One line naming the checks by how they ended: ``validation: 5 passed, 2 skipped (crd-schema, promtool)``.

        The reasons and remedies are on each check's own line (``lines()``), never repeated here.
        """
        outcomes = self.outcomes()
        passed = [o for o in outcomes if o.status == "passed"]
        failed = [o for o in outcomes if o.status == "failed"]
        skipped = [o for o in outcomes if o.status == "skipped"]
        if not failed and not skipped:
            return f"validation: {len(passed)} passed ({', '.join(o.check for o in passed)})"
        parts = [f"{len(passed)} passed"]
        if failed:
            parts.append(f"{len(failed)} failed ({', '.join(o.check for o in failed)})")
        if skipped:
            parts.append(f"{len(skipped)} skipped ({', '.join(o.check for o in skipped)})")
        head = "validation FAILED" if failed else "validation"
        return f"{head}: " + ", ".join(parts) + "; reasons above"

    def lines(self) -> list[str]:
        """The whole report as plain lines: every error and warning, one line per check, the summary."""
        details = [f"  {f.line()}" for f in self.findings if f.level != "skipped"]
        return [*details, *(f"  {o.line()}" for o in self.outcomes()), self.summary()]
