"""Validation of a render before anything is written (also `obs-wizard validate`)."""

from __future__ import annotations

from pathlib import Path

from wizard import staging, tools
from wizard.validate.crd_schema import check_documents
from wizard.validate.findings import Finding, Report
from wizard.validate.kustomize import check_kustomize

__all__ = ["Finding", "Report", "validate_files"]


def _substitute(text: str, variables: dict[str, str]) -> str:
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value)
    return text


def validate_files(files: dict[str, str], *, repo: Path | None, crd_dir: Path | None,
                   substitutions: dict[str, str] | None = None) -> Report:
    """Run every check on ``files`` (repo-relative path -> text) as they would sit in ``repo``.

    ``substitutions`` are the Flux postBuild variables; schema checks see the values Flux will apply.
    """
    report = Report()
    substituted = {path: _substitute(text, substitutions or {}) for path, text in files.items()}
    report.extend(check_documents(substituted, crd_dir, strict_missing=tools.strict()))
    with staging.staged(files, repo) as root:
        report.extend(check_kustomize(root, files))
    return report
