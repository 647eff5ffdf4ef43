"""Apply a plan atomically: every file is written, or none is.

Each new content goes to a temporary file beside its target first; only when all are written are
they renamed into place. A failure (or Ctrl+C) at any point restores every file already replaced,
removes files and directories this run created, and deletes the temporaries.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from wizard.errors import BadInput, WriteFailed
from wizard.plan import FileChange


def safe_target(repo: Path, rel: str) -> Path:
    """The absolute path for ``rel`` inside ``repo``; refuses anything that would land outside it."""
    root = repo.resolve()
    if rel.startswith("/") or "\\" in rel or any(part in ("..", "") for part in rel.split("/")):
        raise BadInput(f"{rel}: refusing to write a path that is not a plain relative path inside --repo")
    target = (root / rel).resolve()
    if root != target and root not in target.parents:
        raise BadInput(f"{rel}: resolves outside --repo ({target}); a symlink points elsewhere, remove it first")
    return target


def apply(repo: Path, changes: list[FileChange], progress: Callable[[str], None] | None = None) -> list[str]:
    """Write every change that writes; returns the paths written. Raises WriteFailed after a rollback.

    ``progress`` is told each path as its new content is safely staged beside it.
    """
    todo = [(c, safe_target(repo, c.path)) for c in changes if c.writes]
    temps: list[Path] = []
    created_dirs: list[Path] = []
    replaced: list[tuple[Path, str | None]] = []  # (target, previous content or None if new)
    try:
        for change, target in todo:
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            for directory in reversed(missing):
                directory.mkdir()
                created_dirs.append(directory)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".obs-wizard-tmp", dir=target.parent)
            temps.append(Path(tmp_name))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(change.new or "")
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                os.chmod(tmp_name, target.stat().st_mode & 0o777)
            else:
                os.chmod(tmp_name, 0o644)
            if progress is not None:
                progress(change.path)
        for (change, target), tmp in zip(todo, temps):
            os.replace(tmp, target)
            replaced.append((target, change.old))
    except BaseException as exc:
        _rollback(replaced, temps, created_dirs)
        if isinstance(exc, OSError):
            raise WriteFailed(f"writing failed ({exc.strerror or exc.__class__.__name__}: {exc.filename}); nothing was changed") from None
        raise
    return [change.path for change, _ in todo]


def _rollback(replaced: list[tuple[Path, str | None]], temps: list[Path], created_dirs: list[Path]) -> None:
    for target, previous in reversed(replaced):
        try:
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".obs-wizard-restore")
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    handle.write(previous)
                os.replace(tmp_name, target)
        except OSError:
            pass
    for tmp in temps:
        tmp.unlink(missing_ok=True)
    for directory in reversed(created_dirs):
        try:
            directory.rmdir()
        except OSError:
            pass
