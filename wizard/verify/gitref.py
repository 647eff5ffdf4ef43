"""The commit a repo's HEAD names, read from ``.git`` files (loose ref or packed-refs); git is never run, so
nothing in the repo's git config can run anything."""

from __future__ import annotations

import re
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_REF = re.compile(r"^refs/[A-Za-z0-9._/-]+$")


def _git_dir(repo: Path) -> Path | None:
    dot = repo / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():  # a worktree or submodule: "gitdir: PATH"
        text = dot.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text.removeprefix("gitdir:").strip())
            target = target if target.is_absolute() else (repo / target)
            return target if target.is_dir() else None
    return None


def head(repo: Path) -> tuple[str | None, str | None]:
    """(branch, commit) of HEAD; either is None when it cannot be read (no .git, detached, unborn)."""
    git = _git_dir(repo)
    if git is None:
        return None, None
    try:
        text = (git / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None, None
    if _SHA.match(text):
        return None, text
    if not text.startswith("ref:"):
        return None, None
    ref = text.removeprefix("ref:").strip()
    if not _REF.match(ref) or ".." in ref:
        return None, None
    branch = ref.removeprefix("refs/heads/")
    common = git
    if (git / "commondir").is_file():  # a linked worktree keeps its refs in the main .git
        rel = (git / "commondir").read_text(encoding="utf-8", errors="replace").strip()
        common = (git / rel) if not Path(rel).is_absolute() else Path(rel)
    for base in dict.fromkeys((git, common)):
        loose = base / ref
        if loose.is_file():
            sha = loose.read_text(encoding="utf-8", errors="replace").strip()
            return branch, sha if _SHA.match(sha) else None
    for base in dict.fromkeys((git, common)):
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
                sha, _, name = line.partition(" ")
                if name.strip() == ref and _SHA.match(sha):
                    return branch, sha
    return branch, None
