"""On a re-run: answers whose value in the file on disk differs from what the saved answer renders.

The saved answers are rendered again and compared with the files on disk per YAML path (the
two-way structural merge names every differing value); each differing value that one answer renders
is told beside that answer's field, e.g. ``metrics.retention -> "file says 45d"``. Nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from wizard.answers.model import Answers
from wizard.render import render
from wizard.repo.merge import MergeError, merge_texts
from wizard.write import answer_sync


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def disk_values(saved: Answers, repo: Path) -> dict[str, object]:
    """Answer key (``section.field``) -> the value the file on disk holds instead of the saved answer's."""
    try:
        files = render.render(saved)
    except (ValueError, render.RenderError):
        return {}
    differing = []
    for rel, text in files.items():
        old = _read(repo / rel)
        if old is None or old == text:
            continue
        try:
            result = merge_texts(None, old, text)  # two-way: every differing value is a "conflict"
        except MergeError:
            continue
        differing += [(rel, conflict) for conflict in result.conflicts]
    if not differing:
        return {}
    _, updates, _ = answer_sync.sync(saved, saved.model_dump(mode="json"), differing)
    return {update.field: update.new for update in updates}


def disk_notes(saved: Answers | None, repo: Path) -> dict[str, str]:
    """Answer key -> ``file says 45d`` (empty on a first run)."""
    if saved is None:
        return {}
    return {key: f"file says {value}" for key, value in disk_values(saved, repo).items()}
