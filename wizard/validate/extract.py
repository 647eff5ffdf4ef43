"""Pieces of the rendered tree that the tool-backed checks need."""

from __future__ import annotations

from typing import Any

from wizard import yamlio


def documents(files: dict[str, str], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, document) for every document of ``kind``; unparsable files are left to the schema check."""
    found = []
    for path, text in files.items():
        if not path.endswith((".yaml", ".yml")) or f"kind: {kind}" not in text:
            continue
        try:
            docs = yamlio.load_all(text)
        except yamlio.YAMLError:
            continue
        found.extend((path, doc) for doc in docs if isinstance(doc, dict) and doc.get("kind") == kind)
    return found


def helmrelease_values(files: dict[str, str], name: str) -> tuple[str, dict[str, Any]] | None:
    for path, doc in documents(files, "HelmRelease"):
        if (doc.get("metadata") or {}).get("name") == name:
            return path, ((doc.get("spec") or {}).get("values") or {})
    return None
