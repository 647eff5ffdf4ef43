"""What the operator added to the observability app folders, for the checks that cover every resource.

A hand-added ScrapeConfig (or any resource) listed in an app's ``kustomization.yaml`` is applied by
Flux like the files obs-wizard writes, so it is schema-checked like them. Only files the
kustomizations list are read (what Flux applies), only inside the namespace folder the written
kustomizations sit in, never through a link that leaves the repo, and never a remote resource.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from wizard.base import yamlio
from wizard.repo.repo_paths import read_text

_MAX_DEPTH = 8  # nested kustomization folders followed


def _namespace_dir(path: str) -> str | None:
    parts = path.split("/")
    return "/".join(parts[:3]) if len(parts) > 3 and parts[:2] == ["kubernetes", "apps"] else None


def _listed(text: str) -> list[str]:
    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError:
        return []
    if not isinstance(doc, dict):
        return []
    entries = doc.get("resources") or []
    return [e for e in entries if isinstance(e, str)] if isinstance(entries, list) else []


def operator_files(files: dict[str, str], repo: Path | None) -> dict[str, str]:
    """Repo-relative path -> text of each file the kustomizations in ``files`` list (directly, or through
    a listed folder's own kustomization) that is not among ``files``: what the operator added."""
    if repo is None:
        return {}
    found: dict[str, str] = {}
    seen: set[str] = set()
    todo = [(path, text, 0) for path, text in files.items() if path.endswith("/kustomization.yaml")]
    while todo:
        path, text, depth = todo.pop()
        namespace_dir = _namespace_dir(path)
        if namespace_dir is None or path in seen or depth > _MAX_DEPTH:
            continue
        seen.add(path)
        folder = posixpath.dirname(path)
        for entry in _listed(text):
            if "://" in entry or entry.startswith(("github.com/", "git@")):
                continue  # a remote base: not the repo's to check
            rel = posixpath.normpath(posixpath.join(folder, entry))
            if not rel.startswith(namespace_dir + "/") or rel in files or rel in found:
                continue
            if rel.endswith((".yaml", ".yml")):
                content = read_text(repo, rel)
                if content is not None:
                    found[rel] = content
                continue
            nested = f"{rel}/kustomization.yaml"
            content = files.get(nested) or read_text(repo, nested)
            if content is not None:
                todo.append((nested, content, depth + 1))
    return found
