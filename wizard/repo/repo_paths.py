"""Nothing outside the repo is read, diffed, written or run.

Before anything is read, every symlink in the parts of the repo obs-wizard reads (``kubernetes/``,
``bootstrap/``, ``.obs-wizard/``, the cluster settings files at the top) is checked without following
it; one that leads outside the repo is refused by name. Path-like answers are checked the same way.
A file is then read through ``read_text``: inside the repo, a regular file, at most 2 MB.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from wizard.base.errors import BadInput

#: What obs-wizard reads in a target repo: these trees, and these files at the top.
READ_TREES = ("kubernetes", "bootstrap", ".obs-wizard")  # bootstrap/: the helmfile that may install CRDs
READ_FILES = ("cluster.yaml", "cluster.toml")
MAX_READ_BYTES = 2_000_000  # a manifest is a few KB; a larger file in the repo is not read


def read_text(root: str | Path, path: str | Path) -> str | None:
    """The text of ``path`` (relative to ``root``, or absolute) when it is a regular file inside the repo
    ``root`` (links followed only while they stay inside) of at most MAX_READ_BYTES in UTF-8; else None."""
    top = os.path.realpath(root)
    real = os.path.realpath(os.path.join(top, path))
    if not real.startswith(top + os.sep) or not os.path.isfile(real):
        return None
    try:
        if os.path.getsize(real) > MAX_READ_BYTES:
            return None
        with open(real, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _leaves(root: Path, path: str) -> str | None:
    """The outside target of the symlink at ``path``, or None when it stays inside ``root``."""
    target = os.path.realpath(path)
    if target == str(root) or target.startswith(str(root) + os.sep):
        return None
    return target


def _problem(root: Path, path: str, target: str) -> str:
    rel = os.path.relpath(path, root)
    return (f"{rel}: is a symlink to {target}, outside the repo; obs-wizard reads and writes only inside --repo: "
            "replace the link with the file or folder itself")


def outside_links(repo: Path) -> list[str]:
    """One message per symlink that leaves the repo, in the parts obs-wizard reads."""
    root = repo.resolve()
    problems = []
    for name in (*READ_TREES, *READ_FILES):
        top = os.path.join(root, name)
        if os.path.islink(top):
            target = _leaves(root, top)
            if target is not None:
                problems.append(_problem(root, top, target))
            continue
        if name not in READ_TREES or not os.path.isdir(top):
            continue
        for folder, dirs, files in os.walk(top):  # never follows a link
            for entry in (*dirs, *files):
                path = os.path.join(folder, entry)
                if os.path.islink(path):
                    target = _leaves(root, path)
                    if target is not None:
                        problems.append(_problem(root, path, target))
    return problems


def refuse_outside_links(repo: Path) -> None:
    problems = outside_links(repo)
    if problems:
        raise BadInput(problems[0], details=problems[1:])


def check_components(repo: Path, namespace: str, components: list[str]) -> None:
    """Each kustomize component path (relative to the namespace folder) resolves inside the repo."""
    root = repo.resolve()
    base = f"kubernetes/apps/{namespace}"
    for component in components:
        rel = posixpath.normpath(posixpath.join(base, component))
        if rel == ".." or rel.startswith("../"):
            raise BadInput(f"flux.namespace_components: {component!r} leads outside the repo (it is relative to {base}/)")
        target = _leaves(root, os.path.join(root, rel))
        if target is not None:
            raise BadInput(f"flux.namespace_components: {component!r} resolves to {target}, outside the repo; "
                           "obs-wizard runs kustomize only on folders inside --repo")
