"""What obs-wizard records in the target repo about its last write.

``.obs-wizard/state.json`` (tool-owned, committed): the tool version, the answers it rendered and
a hash of each file as written. A file whose hash no longer matches was edited by hand and is never
overwritten silently; the answers and version allow rebuilding the previous render later.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard import __version__
from wizard.answers.schema import format_json

STATE_PATH = ".obs-wizard/state.json"
#: Keeps obs-wizard's scratch files (lock, journal, staged files; see wizard/write/apply.py) out of git.
GITIGNORE_PATH = ".obs-wizard/.gitignore"
GITIGNORE_TEXT = (
    "# obs-wizard's scratch files: the lock, the journal of a write in progress, staged files.\n"
    "/lock\n/journal.json\n/journal.json.new\n/tmp/\n"
)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class State:
    version: str = __version__
    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # repo-relative path -> digest as written
    #: ``charts`` field -> the version on disk where it is not the answers' (a Renovate bump kept)
    charts_on_disk: dict[str, str] = field(default_factory=dict)
    #: The dialect the files were written in (wizard.repo.dialect); empty: obs-wizard's own (LEGACY)
    dialect: dict[str, Any] = field(default_factory=dict)

    def rendered_answers(self) -> dict[str, Any]:
        """The answers the recorded files are the render of: the answers, with the chart versions on disk."""
        if not self.charts_on_disk:
            return self.answers
        return {**self.answers, "charts": {**(self.answers.get("charts") or {}), **self.charts_on_disk}}

    def to_text(self) -> str:
        payload: dict[str, Any] = {
            "_comment": "Written by obs-wizard; do not edit. It records the last write so re-runs keep hand edits.",
            "version": self.version,
            "answers": self.answers,
        }
        if self.charts_on_disk:
            payload["charts_on_disk"] = dict(sorted(self.charts_on_disk.items()))
        if self.dialect:
            payload["dialect"] = self.dialect
        payload["files"] = dict(sorted(self.files.items()))
        return format_json(payload)  # as the repo's oxfmt leaves it: `task lint` never rewrites it


def follow_disk(state: State, chart_versions: dict[str, str], render) -> None:
    """Record the chart versions kept on disk (a Renovate bump) beside the answers' own pins.

    ``chart_versions``: ``charts`` field -> version on disk. Each file's digest becomes the render of the
    answers with those versions (``rendered_answers``), so the next run rebuilds exactly what is on disk as
    its merge base; the answers stay as given, so a chart version set on purpose is still told apart.
    ``render``: answers -> files (the render layer, passed in from above).
    """
    from wizard.answers.model import Answers

    candidate = State(state.version, state.answers, state.files, dict(chart_versions), state.dialect)
    try:
        files = render(Answers.model_validate(candidate.rendered_answers()))
    except ValueError:  # a version the model refuses: the pins and the files as rendered stay
        return
    state.charts_on_disk = dict(chart_versions)
    for path in state.files:
        if path in files:
            state.files[path] = digest(files[path])


class StateError(Exception):
    pass


def load(repo: Path) -> State | None:
    path = repo / STATE_PATH
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return State(version=str(raw["version"]), answers=dict(raw["answers"]), files=dict(raw["files"]),
                     charts_on_disk={str(k): str(v) for k, v in dict(raw.get("charts_on_disk") or {}).items()},
                     dialect=dict(raw.get("dialect") or {}))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StateError(
            f"{path}: unreadable ({exc.__class__.__name__}); restore it from git (git checkout -- {STATE_PATH})"
        ) from None
