"""Keep the answers true when the operator keeps a value on disk that an answer renders.

A conflict settled with "keep mine" (``--conflicts ours``, or a pick in the wizard) leaves a value in
a file that the answers would render differently. If that value comes from an answer, the answers
(and with them ``--check``, the sizing and the next run) would no longer tell the truth. So:

- the answer whose new value renders exactly the kept value is found by trial: an answer whose
  value is the new render's value, or one that changed since the last run, is set to the kept value
  and rendered again; when the file then holds the kept value, that answer is updated;
- when the value comes from an answer (reverting a changed answer changes it) but no value of that
  answer renders it, the answer is named as stale: nothing is written until it is fixed by hand;
- a value no answer renders (a template default) needs nothing.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from wizard.answers.model import Answers
from wizard.render import render
from wizard.repo.merge import MISSING, UNKNOWN, Conflict, _plain, value_at


@dataclass(frozen=True)
class AnswerUpdate:
    field: str  # "logs.retention"
    old: Any
    new: Any
    file: str
    path: str  # the YAML path of the kept value

    def line(self) -> str:
        return (f"{self.field}: {_show(self.old)} -> {_show(self.new)} (you kept {self.path.split(': ')[-1]} "
                f"= {_show(self.new)} in {self.file})")


@dataclass(frozen=True)
class StaleAnswer:
    field: str
    value: Any
    file: str
    path: str
    kept: Any

    def line(self) -> str:
        return (f"{self.field} is {_show(self.value)} in the answers, but {self.file}: {self.path.split(': ')[-1]} keeps "
                f"{_show(self.kept)}, which no value of {self.field} renders; change {self.field}, or take the new value")


def _show(value: Any) -> str:
    return json.dumps(_plain(value), default=str)


def _scalar(value: Any) -> bool:
    return value is not MISSING and value is not UNKNOWN and isinstance(_plain(value), (str, int, float, bool))


def _fields(data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [(section, name, value) for section, values in data.items() if isinstance(values, dict)
            for name, value in values.items() if isinstance(value, (str, int, float, bool))]


def _with(data: dict[str, Any], section: str, name: str, value: Any) -> Answers | None:
    trial = copy.deepcopy(data)
    trial.setdefault(section, {})[name] = value
    try:
        return Answers.model_validate(trial)
    except (ValidationError, ValueError):
        return None


def _rendered_value(answers: Answers, file: str, path: str) -> Any:
    try:
        text = render.render(answers).get(file)
    except (ValueError, render.RenderError):
        return MISSING
    return MISSING if text is None else value_at(text, path)


def _typed(like: Any, kept: Any) -> Any:
    kept = _plain(kept)
    if isinstance(like, bool) or isinstance(kept, bool):
        return kept
    if isinstance(like, int):
        try:
            return int(str(kept))
        except ValueError:
            return kept
    return str(kept)


def sync(answers: Answers, previous: dict[str, Any] | None, kept: list[tuple[str, Conflict]]
         ) -> tuple[Answers, list[AnswerUpdate], list[StaleAnswer]]:
    """``answers`` updated to render every kept value (``kept``: (file, conflict) settled "ours")."""
    data = answers.model_dump(mode="json", exclude_unset=True)
    full = answers.model_dump(mode="json")
    before = previous or {}
    updates: list[AnswerUpdate] = []
    stale: list[StaleAnswer] = []
    for file, conflict in kept:
        if not (_scalar(conflict.ours) and _scalar(conflict.theirs)):
            continue
        ours, theirs = _plain(conflict.ours), _plain(conflict.theirs)
        changed = [(s, n, v) for s, n, v in _fields(full) if (before.get(s) or {}).get(n, v) != v]
        matching = [(s, n, v) for s, n, v in _fields(full) if str(v) == str(theirs) and (s, n, v) not in changed]
        found = None
        for section, name, value in changed + matching:
            trial = _with(data, section, name, _typed(value, ours))
            if trial is not None and _plain(_rendered_value(trial, file, conflict.path)) == ours:
                found = (section, name, value, _typed(value, ours))
                break
        if found is not None:
            section, name, value, new = found
            data.setdefault(section, {})[name] = new
            full[section][name] = new
            updates.append(AnswerUpdate(f"{section}.{name}", value, new, file, conflict.path))
            continue
        for section, name, value in changed:  # does this value come from an answer at all?
            reverted = _with(data, section, name, before[section][name])
            if reverted is not None and _plain(_rendered_value(reverted, file, conflict.path)) != theirs:
                stale.append(StaleAnswer(f"{section}.{name}", value, file, conflict.path, ours))
                break
    return (Answers.model_validate(data) if updates else answers), updates, stale
