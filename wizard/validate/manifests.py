"""Every object obs-wizard renders is still there, on the exact bytes that are (or would be) on disk.

A file emptied by hand, an object whose kind or name was changed, or one that lost its spec is not a
hand edit to keep: Flux would delete the object (uninstall Loki). Each is an error naming the object,
with the remedy (take the new render: ``--force`` or ``--conflicts theirs``).
"""

from __future__ import annotations

from typing import Any

from wizard.base import yamlio
from wizard.validate.findings import Finding, Report

CHECK = "manifests"
REMEDY = "Flux would delete it from the cluster; restore it with --force (or --conflicts theirs), or fix the file"


def _objects(text: str) -> dict[tuple[str, str], dict[str, Any]] | None:
    try:
        docs = yamlio.load_all(text)
    except yamlio.YAMLError:
        return None
    found = {}
    for doc in docs:
        if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) and doc.get("kind") and doc["metadata"].get("name"):
            found[(str(doc["kind"]), str(doc["metadata"]["name"]))] = doc
    return found


def check_manifests(files: dict[str, str], expected: dict[str, str]) -> Report:
    """``files`` (what will be on disk) against ``expected`` (what the answers render), file by file.
    A file absent from ``files`` (deleted by hand and kept deleted, an explicit choice) is not checked."""
    report = Report(checks_run=[CHECK])
    for path, rendered in expected.items():
        text = files.get(path)
        if text is None or text == rendered:
            continue
        wanted = _objects(rendered) or {}
        present = _objects(text)
        if present is None:
            report.add(Finding("error", CHECK, "not valid YAML; " + REMEDY, file=path))
            continue
        for (kind, name), doc in wanted.items():
            where = f"{kind}/{name}"
            if (kind, name) not in present:
                report.add(Finding("error", CHECK, f"{where} is missing (the file emptied, or its kind or name changed); "
                                   + REMEDY, file=path, document=where))
            elif doc.get("spec") and not present[(kind, name)].get("spec"):
                report.add(Finding("error", CHECK, f"{where} has no spec; " + REMEDY, file=path, document=where, path="spec"))
    return report
