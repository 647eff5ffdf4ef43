"""The write plan: what would happen to every file, computed without touching the disk.

Actions:
- ``create``: the file does not exist yet;
- ``update``: obs-wizard wrote it, nobody changed it since, and the answers now render it differently;
- ``merge``: the namespace kustomization.yaml, edited in place to list the apps;
- ``unchanged``: already what the answers render;
- ``keep``: exists and obs-wizard leaves it alone (``namespace.yaml`` is only created when absent);
- ``conflict``: changed or deleted by hand since obs-wizard wrote it (or not written by obs-wizard
  at all) and the answers render something else; nothing is written unless ``--force``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wizard import answers_file, render, schema
from wizard.model import Answers
from wizard.namespace_kustomization import KustomizationEditError, merge
from wizard.state import STATE_PATH, State, digest

Action = Literal["create", "update", "merge", "unchanged", "keep", "conflict"]


@dataclass
class FileChange:
    path: str
    action: Action
    old: str | None
    new: str | None  # what would be written; None when nothing is written
    reason: str = ""
    tool_file: bool = False  # .obs-wizard/* bookkeeping, not a manifest

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update", "merge") and self.new is not None

    def diff(self) -> str:
        if self.action == "conflict":
            target = self.new if self.new is not None else ""
        elif not self.writes:
            return ""
        else:
            target = self.new or ""
        return "".join(
            difflib.unified_diff(
                (self.old or "").splitlines(keepends=True),
                target.splitlines(keepends=True),
                fromfile=f"a/{self.path}" if self.old is not None else "/dev/null",
                tofile=f"b/{self.path}",
            )
        )


@dataclass
class Plan:
    changes: list[FileChange] = field(default_factory=list)
    rendered: dict[str, str] = field(default_factory=dict)  # the manifests as they will be on disk

    @property
    def conflicts(self) -> list[FileChange]:
        return [c for c in self.changes if c.action == "conflict"]

    @property
    def writes(self) -> list[FileChange]:
        return [c for c in self.changes if c.writes]

    @property
    def manifest_drift(self) -> list[FileChange]:
        return [c for c in self.changes if not c.tool_file and c.action in ("create", "update", "merge", "conflict")]


class PlanError(Exception):
    pass


def _read(repo: Path, rel: str) -> str | None:
    path = repo / rel
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{rel}: cannot read ({exc.__class__.__name__}); fix its permissions or remove it") from None


def build(answers: Answers, repo: Path, previous: State | None, *, force: bool = False,
          answers_source: Path | None = None) -> Plan:
    files = render.render(answers)
    base = render.namespace_dir(answers)
    shared = {f"{base}/namespace.yaml", f"{base}/kustomization.yaml"}
    plan = Plan()
    recorded = previous.files if previous else {}
    new_state = State(answers=answers.model_dump(mode="json"))

    for rel, text in files.items():
        old = _read(repo, rel)
        if rel == f"{base}/namespace.yaml" and old is not None:
            plan.changes.append(FileChange(rel, "keep", old, None, "exists; created only when absent"))
            plan.rendered[rel] = old
            continue
        if rel == f"{base}/kustomization.yaml" and old is not None:
            try:
                merged = merge(old, answers.flux.namespace, render.namespace_resources(answers), answers.flux.namespace_components)
            except KustomizationEditError as exc:
                raise PlanError(f"{rel}: {exc}") from None
            action: Action = "unchanged" if merged == old else "merge"
            plan.changes.append(FileChange(rel, action, old, merged, "lists the apps, keeps your entries"))
            plan.rendered[rel] = merged
            continue
        plan.rendered[rel] = text
        if old == text:
            plan.changes.append(FileChange(rel, "unchanged", old, None))
            new_state.files[rel] = digest(text)
            continue
        if old is None:
            if rel in recorded and not force:
                plan.changes.append(FileChange(rel, "conflict", None, text, "deleted since obs-wizard wrote it; --force recreates it"))
                plan.rendered[rel] = ""
                continue
            plan.changes.append(FileChange(rel, "create", None, text))
            if rel in shared:
                continue  # edited in place or kept on later runs, so not hash-protected
        elif recorded.get(rel) == digest(old) or force:
            plan.changes.append(FileChange(rel, "update", old, text, "" if recorded.get(rel) == digest(old) else "overwrites hand edits (--force)"))
        else:
            why = "changed by hand since obs-wizard wrote it" if rel in recorded else "exists and was not written by obs-wizard"
            plan.changes.append(FileChange(rel, "conflict", old, text, f"{why}; review the diff, then re-run with --force to overwrite"))
            plan.rendered[rel] = old
            continue
        new_state.files[rel] = digest(text)

    # Bookkeeping under .obs-wizard/: the answers (unless they were read from there), their schema, the state.
    tool_files = {
        answers_file.SCHEMA_PATH: schema.answers_schema_text(),
        STATE_PATH: new_state.to_text(),
    }
    answers_in_repo = (repo / answers_file.ANSWERS_PATH).resolve()
    if answers_source is None or answers_source.resolve() != answers_in_repo:
        tool_files[answers_file.ANSWERS_PATH] = answers_file.dump(answers)
    for rel, text in tool_files.items():
        old = _read(repo, rel)
        action = "unchanged" if old == text else ("create" if old is None else "update")
        plan.changes.append(FileChange(rel, action, old, None if action == "unchanged" else text, tool_file=True))
    return plan
