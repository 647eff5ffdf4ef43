"""Typed messages the wizard's widgets post upward."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from wizard.answers.form import Question


@dataclass
class FieldEdited(Message):
    """The operator changed a field's value (as typed)."""

    question: Question
    text: str


@dataclass
class ConflictChosen(Message):
    """The operator picked a side for one conflicting YAML path."""

    file: str
    path: str
    side: str  # "ours" or "theirs"


@dataclass
class FieldSubmitted(Message):
    """Enter in a field: move to the next field, or on the last one to the next step."""

    question: Question | None


@dataclass
class AllConflictsChosen(Message):
    """Keep all mine ("ours") or take all new ("theirs") for every conflicting value."""

    side: str
