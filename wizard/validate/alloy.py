"""The Alloy configuration in the alloy HelmRelease parses, and every component it references is declared."""

from __future__ import annotations

from wizard.render.extract import helmrelease_values
from wizard.validate.alloy_syntax import problems
from wizard.validate.findings import Finding, Report


def check_alloy(files: dict[str, str]) -> Report:
    report = Report(checks_run=["alloy"])
    found = helmrelease_values(files, "alloy")
    if found is None:
        return report
    path, values = found
    content = (((values.get("alloy") or {}).get("configMap") or {}).get("content"))
    if not isinstance(content, str) or not content.strip():
        report.add(Finding("error", "alloy", "alloy.configMap.content is empty; Alloy would run the chart's example config",
                           file=path, document="HelmRelease/alloy", path="spec.values.alloy.configMap.content"))
        return report
    for line, message in problems(content):
        report.add(Finding("error", "alloy", f"config.alloy line {line}: {message}",
                           file=path, document="HelmRelease/alloy", path="spec.values.alloy.configMap.content"))
    return report
