"""The questions, generated from the answers model, for the interactive wizard and the plain prompts.

Nothing here knows a field by name: steps group model sections (any section not named below gets
a step of its own), fields come from the model with their title, help, default and kind, and
validation is the model's own (the same messages as the answers file). A new model field appears in
both front ends without UI code changes.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model (pydantic) loads with the first questions built, not with this module
    from wizard.answers.model import Answers

#: Steps that follow quickstart.md: (title, model sections). Sections not listed are appended.
STEP_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cluster", ("cluster", "apps")),
    ("Retention & storage", ("metrics", "logs")),
    ("Grafana exposure", ("grafana",)),
    ("Secrets", ("secrets",)),
    ("Alerts and advanced", ("alerting", "flux", "charts")),
)


@dataclass(frozen=True)
class Question:
    section: str
    name: str
    title: str
    help: str
    kind: str  # "bool", "int", "list" or "text"
    default: Any  # None when the field has no default (required) or a derived default
    required: bool
    advanced: bool
    choices: tuple[str, ...] = ()  # values found in the repo, offered as a pick list (with "other")
    outside_repo: str | None = None  # key of the bool answer that allows a value the repo does not define
    confirms: str | None = None  # for that bool answer: the key of the value it allows

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


#: The pick-list entry that leads to typing a value the repo does not define.
OTHER = "other (not defined in this repo)…"


@dataclass(frozen=True)
class Step:
    title: str
    sections: tuple[str, ...]
    questions: tuple[Question, ...]


def _kind(annotation: Any) -> str:
    if typing.get_origin(annotation) is list:
        return "list"
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if args else annotation
    base = annotation
    origin = typing.get_origin(base)
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if origin is list or base is list:
        return "list"
    return "text"


def _questions(section_name: str, section: type) -> tuple[Question, ...]:
    from pydantic_core import PydanticUndefined

    from wizard.answers.model import field_is_advanced

    out = []
    confirmers = {}
    for name, field in section.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("confirms"):
            confirmers[str(extra["confirms"])] = f"{section_name}.{name}"
    for name, field in section.model_fields.items():
        required = field.default is PydanticUndefined and field.default_factory is None
        default = None if required else (field.default_factory() if field.default_factory else field.default)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        out.append(Question(section_name, name, field.title or name, field.description or "", _kind(field.annotation),
                            default, required, field_is_advanced(section, name),
                            outside_repo=confirmers.get(f"{section_name}.{name}"),
                            confirms=str(extra["confirms"]) if extra.get("confirms") else None))
    return tuple(out)


def steps(choices: dict[str, list[str]] | None = None) -> tuple[Step, ...]:
    """The steps; ``choices`` (question key -> values found in the repo) become pick lists."""
    from wizard.answers.model import SECTIONS

    sections = dict(SECTIONS)
    listed = {name for _, names in STEP_SECTIONS for name in names}
    result = [Step(title, names, tuple(q for n in names if n in sections for q in _questions(n, sections[n])))
              for title, names in STEP_SECTIONS]
    result += [Step(sections[name].model_config.get("title") or name.title(), (name,), _questions(name, sections[name]))
               for name, _ in SECTIONS if name not in listed]
    if choices:
        result = [replace(step, questions=tuple(replace(q, choices=tuple(choices.get(q.key, ()))) for q in step.questions))
                  for step in result]
    return tuple(result)


# --- values: what the operator typed, as text, and what the model gets ----------------------------


def to_text(question: Question, value: Any) -> str:
    if value is None:
        return ""
    if question.kind == "bool":
        return "true" if value else "false"
    if question.kind == "list":
        return ", ".join(str(v) for v in value)
    return str(value)


def from_text(question: Question, text: str) -> Any:
    """The model value for what was typed; unparsable text is passed on for the model to reject."""
    text = text.strip()
    if question.kind == "bool":
        return text.lower() in ("true", "yes", "y", "1", "on") if isinstance(text, str) else bool(text)
    if question.kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if text == "":
        return None
    if question.kind == "int":
        try:
            return int(text)
        except ValueError:
            return text
    return text


class Draft:
    """The answers being edited: text per question, from defaults, discovery or saved answers."""

    def __init__(self, initial: dict[str, dict[str, Any]] | None = None,
                 check: Callable[[Answers], dict[str, str]] | None = None,
                 notes: Callable[[], dict[str, str]] | None = None):
        self.check = check  # problems beyond the model's, by question key (answers vs the repo)
        self._notes_source = notes  # a re-run: notes beside fields ("file says 45d"), computed on first use
        self._notes: dict[str, str] | None = None
        self.values: dict[str, Any] = {}  # question key -> model value (None: unset / use default)
        for section, fields in (initial or {}).items():
            for name, value in (fields or {}).items():
                self.values[f"{section}.{name}"] = value

    def get(self, question: Question) -> Any:
        return self.values.get(question.key)

    def note(self, question: Question) -> str:
        """What to tell beside the field, e.g. ``file says 45d`` when the file on disk differs from the saved answer."""
        if self._notes is None:
            self._notes = self._notes_source() if self._notes_source else {}
        return self._notes.get(question.key, "")

    def text(self, question: Question) -> str:
        value = self.get(question)
        return to_text(question, question.default if value is None and not question.required else value)

    def set_text(self, question: Question, text: str) -> None:
        value = from_text(question, text)
        if value is None or (value == question.default and question.default is not None):
            self.values.pop(question.key, None)  # the default: leave it unset so the answers file stays small
        else:
            self.values[question.key] = value

    def data(self) -> dict[str, dict[str, Any]]:
        from wizard.answers.model import SECTIONS

        # Every section present, so a missing required answer is reported on its own field.
        out: dict[str, dict[str, Any]] = {name: {} for name, _ in SECTIONS}
        for key, value in self.values.items():
            section, name = key.split(".", 1)
            out.setdefault(section, {})[name] = value
        return out

    def errors(self) -> dict[str, str]:
        """Problems by question key ('' for rules spanning several sections), from the model itself."""
        from pydantic import ValidationError

        from wizard.answers.model import Answers

        try:
            answers = Answers.model_validate(self.data())
        except ValidationError as exc:
            found: dict[str, str] = {}
            for error in exc.errors(include_url=False):
                loc = [str(p) for p in error["loc"]]
                message = short_echo(human_message(error), error.get("input"))
                key = ".".join(loc[:2]) if len(loc) >= 2 else (loc[0] if loc else "")
                found.setdefault(key, message)
            return found
        return self.check(answers) if self.check else {}

    def answers(self) -> Answers:
        from wizard.answers.model import Answers

        return Answers.model_validate(self.data())


#: A value echoed in a message beside its field is cut to this many characters (the field shows it all).
ECHO_LIMIT = 40


def short_echo(message: str, value: Any) -> str:
    """``message`` with a long echoed value cut: a 500-character paste is not repeated over eight lines."""
    if isinstance(value, str) and len(value) > ECHO_LIMIT and repr(value) in message:
        count = "" if f"{len(value)} characters" in message else f" ({len(value)} characters)"
        return message.replace(repr(value), f"{value[:ECHO_LIMIT]!r}…{count}")
    return message


def human_message(error: dict) -> str:
    """A pydantic error as a person would say it (the answers file keeps pydantic's own words)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "required"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number, e.g. 3 (letters are not allowed here)"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}" if kind == "greater_than_equal" else f"must be more than {ctx.get('gt')}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le')}" if kind == "less_than_equal" else f"must be less than {ctx.get('lt')}"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    return str(error["msg"]).removeprefix("Value error, ")


def title_of(key: str) -> str:
    """The title a front end shows for the answer ``section.field`` (the key itself when unknown)."""
    from wizard.answers.model import SECTIONS

    section, _, name = key.partition(".")
    model = dict(SECTIONS).get(section)
    field = model.model_fields.get(name) if model is not None else None
    return (field.title or name) if field is not None else key


def step_errors(step: Step, errors: dict[str, str]) -> list[tuple[str, str]]:
    """(where, message) for this step: its questions, and section-wide rules of its sections."""
    keys = {q.key for q in step.questions}
    return [(key, message) for key, message in errors.items() if key in keys or key in step.sections]
