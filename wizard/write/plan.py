"""The write plan: what would happen to every file, computed without touching the disk.

Actions:
- ``create``: the file does not exist yet;
- ``update``: obs-wizard wrote it, nobody changed it since, and the answers now render it differently;
- ``merge``: changed by hand and by the answers: merged per YAML path, keeping the hand edits (also
  the namespace kustomization.yaml, edited in place to list the apps);
- ``unchanged``: already what the answers render (or what the merge gives);
- ``keep``: exists and obs-wizard leaves it alone (``namespace.yaml`` is only created when absent);
- ``conflict``: a YAML path changed differently by hand and by the answers, a file deleted by hand,
  or a file obs-wizard did not write; nothing is written until a choice settles it.

The diff of every change is exactly what ``apply`` writes: ``FileChange.new`` is those bytes and
``diff()`` is old -> new. A conflict writes nothing; its diff is headed by ``# CONFLICT`` lines that
say so and shows the candidate (``preview``): the merge with the choices made so far and every
unsettled value as it is on disk, the recreated file for a file deleted by hand, or the adopted
merge for a file obs-wizard did not write.

Choices (``build(choose=...)``), recomputed after every pick by the front ends:
- ``"ours"`` / ``"theirs"``: one side for every conflict (``--conflicts``);
- ``{file: {yaml_path: "ours"|"theirs"}}``: per conflicting value, ``yaml_path`` being
  ``Conflict.path``; under the key ``WHOLE_FILE`` (``""``) a choice for the file as a whole:
  ``"ours"`` (keep it deleted) / ``"theirs"`` (recreate it) for a file deleted by hand, ``"adopt"``
  to merge a file obs-wizard did not write. ``FileChange.decisions`` lists every conflicting value
  of a file with its current choice (None: unsettled), so a front end can show them all.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wizard.answers import answers_file, schema
from wizard.answers.model import Answers
from wizard.base import yamlio
from wizard.render import render
from wizard.repo.dialect import LEGACY, Dialect
from wizard.repo.merge import UNKNOWN, Conflict, MergeError, Side
from wizard.repo.merge import merge_texts as three_way
from wizard.repo.namespace_kustomization import KustomizationEditError, merge
from wizard.repo.state import GITIGNORE_PATH, GITIGNORE_TEXT, STATE_PATH, State, digest, follow_disk
from wizard.write import answer_sync
from wizard.write.answer_sync import AnswerUpdate

Action = Literal["create", "update", "merge", "unchanged", "keep", "conflict"]
Choices = dict[str, dict[str, str]]  # file -> YAML path (or WHOLE_FILE) -> side
WHOLE_FILE = ""
NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(old: str | None, new: str | None, path: str) -> str:
    """A unified diff that ``patch``/``git apply`` turn ``old`` into exactly ``new`` with, a missing
    newline at the end of a file included. ``None`` is an absent file."""
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        (new or "").splitlines(keepends=True),
        fromfile=f"a/{path}" if old is not None else "/dev/null",
        tofile=f"b/{path}" if new is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" + NO_NEWLINE for line in lines)


@dataclass
class FileChange:
    path: str
    action: Action
    old: str | None
    new: str | None  # exactly what would be written; None when nothing is written
    reason: str = ""
    tool_file: bool = False  # .obs-wizard/* bookkeeping, not a manifest
    conflicts: list[Conflict] = field(default_factory=list)  # conflicting YAML paths not settled yet
    resolved: list[tuple[Conflict, Side]] = field(default_factory=list)  # settled by a choice
    decisions: list[tuple[Conflict, Side | None]] = field(default_factory=list)  # all of them, in file order
    whole: Literal["deleted", "foreign"] | None = None  # a conflict about the file as a whole
    preview: str | None = None  # a conflict: the candidate shown in its diff (see the module doc)

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update", "merge") and self.new is not None

    def conflict_notes(self) -> list[str]:
        """What a conflict's diff shows and what still needs a choice, one line each."""
        if self.action != "conflict":
            return []
        if self.whole == "deleted":
            return ["deleted by you since obs-wizard wrote it; nothing is written until you choose:",
                    "keep it deleted (ours), or recreate it (theirs): the diff below is what recreating writes"]
        if self.whole == "foreign":
            shown = ("the diff below is what adopting writes, every differing value kept as on disk"
                     if self.preview is not None else "it cannot be merged as it is")
            return ["exists and was not written by obs-wizard; nothing is written unless you adopt it (--adopt);",
                    shown]
        notes = [f"{len(self.conflicts)} value(s) not settled; nothing is written until each is chosen.",
                 "The diff below shows each unsettled value as on disk (keep mine):"]
        notes += [f"  {conflict.describe()}" for conflict in self.conflicts]
        return notes

    def diff(self) -> str:
        """Exactly old -> the bytes written; for a conflict, ``# CONFLICT`` lines then old -> preview."""
        if self.action == "conflict":
            header = "".join(f"# CONFLICT {self.path}: {note}\n" for note in self.conflict_notes())
            return header + (unified_diff(self.old, self.preview, self.path) if self.preview is not None else "")
        if not self.writes:
            return ""
        return unified_diff(self.old, self.new, self.path)


@dataclass
class Plan:
    changes: list[FileChange] = field(default_factory=list)
    rendered: dict[str, str] = field(default_factory=dict)  # the manifests as they will be on disk
    answers: Answers | None = None  # the answers written: the given ones, updated to values kept on disk
    answer_updates: list[AnswerUpdate] = field(default_factory=list)  # answers set to a value kept on disk
    stale_answers: list[str] = field(default_factory=list)  # answers a kept value contradicts: nothing is written
    ignored: dict[str, str] = field(default_factory=dict)  # written files git ignores -> the rule (source:line: pattern)

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


def _read(repo: Path, rel: str, raw: dict[str, str] | None = None) -> str | None:
    """The file's text with LF line ends, as the render and the merge work; its bytes as they are (CRLF
    kept) go into ``raw`` when they differ, for ``_keep_line_ends``."""
    path = repo / rel
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{rel}: cannot read ({exc.__class__.__name__}); fix its permissions or remove it") from None
    if "\r\n" not in text:
        return text
    if raw is not None:
        raw[rel] = text
    return text.replace("\r\n", "\n")


#: git run so that nothing in the repo's own config can make it run a program: no fsmonitor hook, no hooks,
#: no pager, no untracked cache; check-ignore reads ignore files and the index, nothing else.
_SAFE_GIT = ("git", "--no-pager", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
             "-c", "core.untrackedCache=false", "-c", "core.pager=cat")
OUR_IGNORE_FILE = GITIGNORE_PATH


def git_ignored(repo: Path, paths: list[str]) -> dict[str, str]:
    """Which of ``paths`` (relative to ``repo``) git would ignore, each with the rule that does it
    (``source:line: pattern``); empty when git is absent, this is not a git work tree, or git fails.
    A tracked file is never ignored. Read-only: git takes no lock and writes nothing."""
    if not paths:
        return {}
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run([*_SAFE_GIT, "check-ignore", "--verbose", "-z", "--stdin"], cwd=repo, env=env,
                              input=b"".join(p.encode("utf-8") + b"\0" for p in paths), capture_output=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    if done.returncode not in (0, 1):
        return {}
    fields = done.stdout.split(b"\0")
    out: dict[str, str] = {}
    for index in range(0, len(fields) - 3, 4):
        source, line, pattern, path = (f.decode("utf-8", "replace") for f in fields[index:index + 4])
        if pattern.startswith("!"):  # a negated rule matched: not ignored
            continue
        out[path] = f"{source}:{line}: {pattern}"
    return out


def _warn_ignored(plan: Plan, repo: Path) -> None:
    """Every file the plan writes that git would ignore (the operator's own ignore rules) says so: it would
    never be committed, so Flux would never apply it. Our scratch-file rules are ours to make."""
    writes = [c for c in plan.changes if c.writes or c.action == "conflict"]
    rules = git_ignored(repo, [c.path for c in writes])
    for change in writes:
        rule = rules.get(change.path)
        if rule is None or rule.startswith(f"{OUR_IGNORE_FILE}:"):
            continue
        plan.ignored[change.path] = rule
        note = (f"warning: git ignores it ({rule}): it would never be committed, so Flux would never apply it; "
                "change that rule or `git add -f` it")
        change.reason = f"{change.reason}; {note}" if change.reason else note


def _keep_line_ends(changes: list[FileChange], raw: dict[str, str]) -> None:
    """A file on disk with CRLF line ends keeps them: ``old`` is its text as it is, and what is written
    (and previewed) uses CRLF when every line of the file did, so the diff is exactly the bytes written.
    A file mixing both is written with LF, which its diff shows."""
    for change in changes:
        text = raw.get(change.path)
        if text is None:
            continue
        change.old = text
        if text.count("\r\n") == text.count("\n"):
            change.new = _crlf(change.new)
            change.preview = _crlf(change.preview)


def _crlf(text: str | None) -> str | None:
    return None if text is None else text.replace("\r\n", "\n").replace("\n", "\r\n")


def _previous_render(previous: State | None, answers: Answers, files: dict[str, str], dialect: Dialect | None = None) -> dict[str, str]:
    """What the previous answers rendered, for each file whose rebuild matches what was written.

    A file whose rebuilt text does not match the recorded digest (another obs-wizard version
    rendered it differently) has no base: it falls back to a two-way merge.
    """
    if previous is None:
        return {}
    rendered_answers = previous.rendered_answers()  # with the chart versions kept on disk, as recorded
    if rendered_answers == answers.model_dump(mode="json"):
        old_files = files  # the same answers render the same files
    else:
        try:
            old_files = render.render(Answers.model_validate(rendered_answers), dialect)
        except (ValueError, render.RenderError):
            return {}
    return {path: text for path, text in old_files.items() if previous.files.get(path) == digest(text)}


def _chart_tag_rules(answers: Answers, previous: State | None) -> dict[str, tuple[set[str], set[str]]]:
    """Per OCIRepository file: (keep_ours, take_theirs) for the Renovate-managed ``spec.ref.tag``.

    The repo's tag wins (Renovate bumps it) unless the operator changed that answer on purpose: set it
    in the answers, to a value other than the one the previous run used.
    """
    rules = {}
    previous_charts = (previous.answers.get("charts") or {}) if previous else {}
    explicit = answers.charts.model_fields_set
    for app in render.apps(answers):
        field_name = app.name.replace("-", "_")
        on_purpose = field_name in explicit and previous_charts.get(field_name) != app.version
        path = f"{render.namespace_dir(answers)}/{app.name}/app/ocirepository.yaml"
        rules[path] = (set(), {"spec.ref.tag"}) if on_purpose else ({"spec.ref.tag"}, set())
    return rules


def build(answers: Answers, repo: Path, previous: State | None, *, choose: Choices | Side | None = None,
          adopt: bool = False, answers_source: Path | None = None, sync_answers: bool = True,
          dialect: Dialect | None = None) -> Plan:
    """The plan for writing ``answers`` into ``repo``.

    ``choose`` settles conflicts: one side for all, or per file a side per conflicting YAML path and
    ``WHOLE_FILE`` for the file as a whole (see the module doc); front ends call this again after each
    pick and show the new diffs. ``adopt`` merges files that exist but were not written by obs-wizard.

    A value kept on disk ("ours") that an answer renders updates that answer (``Plan.answers``,
    ``Plan.answer_updates``; the in-repo answers file is edited in place), or, when it cannot,
    names it in ``Plan.stale_answers`` and nothing may be written.

    ``dialect``: how the files are written (wizard.repo.dialect: the repo's, learned on the first write, then
    the one recorded in the state); None is obs-wizard's own. The previous render is rebuilt in it too, so a
    re-run changes only what the changed answers change.
    """
    dialect = dialect or LEGACY
    files = render.render(answers, dialect)
    base_dir = render.namespace_dir(answers)
    shared = {f"{base_dir}/namespace.yaml", f"{base_dir}/kustomization.yaml"}
    plan = Plan()
    raw: dict[str, str] = {}  # files on disk with CRLF line ends, as they are
    recorded = previous.files if previous else {}
    bases = _previous_render(previous, answers, files, dialect)
    tag_rules = _chart_tag_rules(answers, previous)
    new_state = State(answers=answers.model_dump(mode="json"), dialect={} if dialect.legacy else dialect.to_dict())
    # Apps obs-wizard wrote before and the answers now switch off.
    switched_off = [app for app in render.ALL_APPS
                    if app not in answers.apps.enabled and f"{base_dir}/{app}/ks.yaml" in recorded]

    for rel, text in files.items():
        old = _read(repo, rel, raw)
        if rel == f"{base_dir}/namespace.yaml" and old is not None:
            plan.changes.append(FileChange(rel, "keep", old, None, "exists; created only when absent"))
            plan.rendered[rel] = old
            continue
        if rel == f"{base_dir}/kustomization.yaml" and old is not None:
            drop = tuple(f"./{app}/ks.yaml" for app in switched_off)
            try:
                merged = merge(old, answers.flux.namespace, render.namespace_resources(answers), answers.flux.namespace_components,
                               drop=drop)
            except KustomizationEditError as exc:
                raise PlanError(f"{rel}: {exc}") from None
            action: Action = "unchanged" if merged == old else "merge"
            note = "lists the apps, keeps your entries"
            if drop and merged != old:
                note += f"; stops listing {', '.join(drop)} (switched off: Flux prunes what it deployed)"
            plan.changes.append(FileChange(rel, action, old, merged, note))
            plan.rendered[rel] = merged
            continue
        file_choice = choose.get(rel) if isinstance(choose, dict) else choose
        # For the file as a whole (deleted by hand, or not written by obs-wizard), a per-path choice
        # dict carries it under "": "theirs"/"ours" for a deleted file, "adopt" to merge a foreign one.
        whole = file_choice if isinstance(file_choice, str) else (file_choice or {}).get("")
        if rel not in shared:
            new_state.files[rel] = digest(text)  # the base of the next run
        if old is None:
            if rel in recorded:  # written before, deleted by the operator since
                if whole == "theirs":
                    plan.changes.append(FileChange(rel, "create", None, text, "deleted by you; recreated (you chose the new render)"))
                    plan.rendered[rel] = text
                elif whole == "ours":
                    plan.changes.append(FileChange(rel, "keep", None, None, "deleted by you; kept deleted"))
                else:
                    plan.changes.append(FileChange(rel, "conflict", None, None, "deleted since obs-wizard wrote it; "
                                                   "--conflicts theirs recreates it, --conflicts ours keeps it deleted",
                                                   whole="deleted", preview=text))
                continue
            plan.changes.append(FileChange(rel, "create", None, text))
            plan.rendered[rel] = text
            continue
        if old == text:
            plan.changes.append(FileChange(rel, "unchanged", old, None))
            plan.rendered[rel] = old
            continue
        base_text = bases.get(rel)
        keep_ours, take_theirs = tag_rules.get(rel, (set(), set()))
        # Untouched since the last write: the new render, except a chart version kept on disk (merged below).
        if base_text is not None and base_text == old and not (keep_ours and chart_tag(old) != chart_tag(text)):
            plan.changes.append(FileChange(rel, "update", old, text))
            plan.rendered[rel] = text
            continue
        foreign = rel not in recorded
        if foreign and not adopt and whole not in ("adopt", "ours", "theirs"):
            try:
                preview: str | None = three_way(None, old, text, keep_ours=keep_ours, take_theirs=take_theirs).text
            except MergeError:
                preview = None
            plan.changes.append(FileChange(rel, "conflict", old, None, "exists and was not written by obs-wizard; "
                                           "review the diff, then --adopt to merge it (or move it away)",
                                           whole="foreign", preview=preview))
            plan.rendered[rel] = old
            continue
        if isinstance(file_choice, dict):
            path_choices = {k: v for k, v in file_choice.items() if k} or None
        else:
            path_choices = file_choice
        try:
            result = three_way(base_text, old, text, choose=path_choices,
                               keep_ours=keep_ours, take_theirs=take_theirs)
        except MergeError as exc:
            raise PlanError(f"{rel}: {exc}") from None
        how = "three-way merge" if base_text is not None else "two-way merge (no base to compare with)"
        if result.conflicts:
            plan.changes.append(FileChange(rel, "conflict", old, None, f"{len(result.conflicts)} conflicting value(s) ({how})",
                                           conflicts=result.conflicts, resolved=result.resolved,
                                           decisions=result.decisions, preview=result.text))
            plan.rendered[rel] = old
            continue
        note = f"{how}; kept your edits{kept_paths(text, result.text)}" + (
            f"; {len(result.resolved)} conflict(s) settled by your choice" if result.resolved else "")
        action = "unchanged" if result.text == old else "merge"
        plan.changes.append(FileChange(rel, action, old, None if action == "unchanged" else result.text, note,
                                       resolved=result.resolved, decisions=result.decisions))
        plan.rendered[rel] = result.text

    # Files of a switched-off app stay on disk (obs-wizard deletes nothing) but are no longer listed, so
    # Flux no longer applies them; the plan names each, so nothing about them is left unsaid.
    for app in switched_off:
        for rel in sorted(r for r in recorded if r.startswith(f"{base_dir}/{app}/")):
            old = _read(repo, rel, raw)
            if old is None:
                continue
            new_state.files[rel] = recorded[rel]  # switching the app on again updates them in place
            plan.changes.append(FileChange(rel, "keep", old, None, f"apps.{app.replace('-', '_')} is off: no longer listed, "
                                           f"Flux no longer applies it; delete {base_dir}/{app}/ by hand"))

    # A chart version on disk other than the answers' (a Renovate bump kept): said, and recorded as on disk.
    disk_versions = {}
    for app in render.apps(answers):
        rel = f"{base_dir}/{app.name}/app/ocirepository.yaml"
        on_disk = chart_tag(plan.rendered.get(rel))
        if on_disk and on_disk != app.version:
            disk_versions[app.name.replace("-", "_")] = on_disk
            for change in plan.changes:
                if change.path == rel:
                    change.reason = ((change.reason + "; ") if change.reason else "") + (
                        f"keeps the chart version {on_disk} on disk (a Renovate bump?), not {app.version} that obs-wizard "
                        f"pins; set charts.{app.name.replace('-', '_')} to choose one")
    if disk_versions:
        follow_disk(new_state, disk_versions, lambda a: render.render(a, dialect))

    # Bookkeeping under .obs-wizard/: the answers (unless they were read from there), their schema, the state.
    tool_files = {
        answers_file.SCHEMA_PATH: schema.answers_schema_text(),
        STATE_PATH: new_state.to_text(),
        GITIGNORE_PATH: GITIGNORE_TEXT,
    }
    answers_in_repo = (repo / answers_file.ANSWERS_PATH).resolve()
    if answers_source is None or answers_source.resolve() != answers_in_repo:
        tool_files[answers_file.ANSWERS_PATH] = answers_file.dump(answers)
    for rel, text in tool_files.items():
        old = _read(repo, rel, raw)
        action = "unchanged" if old == text else ("create" if old is None else "update")
        plan.changes.append(FileChange(rel, action, old, None if action == "unchanged" else text, tool_file=True))
    _keep_line_ends(plan.changes, raw)
    _warn_ignored(plan, repo)
    plan.answers = answers
    if sync_answers:
        return _keep_answers_true(plan, answers, repo, previous, choose, adopt, answers_source, dialect)
    return plan


def chart_tag(text: str | None) -> str | None:
    """``spec.ref.tag`` of the OCIRepository in ``text``."""
    if not text:
        return None
    try:
        docs = yamlio.load_all(text)
    except yamlio.YAMLError:
        return None
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "OCIRepository":
            tag = ((doc.get("spec") or {}).get("ref") or {}).get("tag")
            return str(tag) if tag is not None else None
    return None


def kept_paths(rendered: str, merged: str, limit: int = 4) -> str:
    """``: spec.values.x, ...``: the YAML paths where the merged file keeps a value other than the render's."""
    try:
        new_docs, got_docs = yamlio.load_all(rendered), yamlio.load_all(merged)
    except yamlio.YAMLError:
        return ""
    found: list[str] = []

    def walk(a, b, path: list[str]) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*b, *(k for k in a if k not in b)]:
                walk(a.get(key), b.get(key), [*path, str(key)])
        elif a != b:
            found.append(".".join(path) or "(document)")

    for a, b in zip(new_docs, got_docs):
        walk(a, b, [])
    if not found:
        return ""
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return ": " + ", ".join(found[:limit]) + more


def _keep_answers_true(plan: Plan, answers: Answers, repo: Path, previous: State | None, choose: Choices | Side | None,
                       adopt: bool, answers_source: Path | None, dialect: Dialect | None = None) -> Plan:
    """Values kept on disk ("ours") that an answer renders: the answers follow them (see answer_sync)."""
    # Three-way conflicts only: an adopted file (no base) holds nothing the answers wrote before.
    kept = [(change.path, conflict) for change in plan.changes for conflict, side in change.resolved
            if side == "ours" and conflict.base is not UNKNOWN]
    if not kept:
        return plan
    updated, updates, stale = answer_sync.sync(answers, previous.answers if previous else None, kept)
    answers_in_repo = (repo / answers_file.ANSWERS_PATH).resolve()
    in_repo = answers_source is not None and answers_source.resolve() == answers_in_repo
    if updates and answers_source is not None and not in_repo:
        # The answers came from a file obs-wizard does not own: it names the change instead of making it.
        plan.stale_answers = [f"{answers_source}: set {u.field}: {answer_sync._show(u.new)} (it says {answer_sync._show(u.old)}), "
                              f"the value you keep in {u.file}; or take the new value" for u in updates]
        plan.stale_answers += [f"{answers_source}: {s.line()}" for s in stale]
        return plan
    if not updates:
        plan.stale_answers = [s.line() for s in stale]
        return plan
    synced = build(updated, repo, previous, choose=choose, adopt=adopt, answers_source=answers_source, sync_answers=False,
                   dialect=dialect)
    synced.answer_updates = updates
    synced.stale_answers = [s.line() for s in stale]
    if in_repo:  # edit the operator's answers file in place, keeping its comments and layout (and line ends)
        raw: dict[str, str] = {}
        old = _read(repo, answers_file.ANSWERS_PATH, raw)
        text = answers_file.edit(old or "", [(u.field, u.new) for u in updates])
        synced.changes = [c for c in synced.changes if c.path != answers_file.ANSWERS_PATH]
        synced.changes.append(FileChange(answers_file.ANSWERS_PATH, "update", old, text, "the answers follow the values you kept",
                                         tool_file=True))
        _keep_line_ends(synced.changes[-1:], raw)
    return synced
