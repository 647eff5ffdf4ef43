"""The answers-file JSON Schema, generated from the answers model."""

from __future__ import annotations

import json
from typing import Any

from wizard.model import Answers


def answers_schema() -> dict[str, Any]:
    schema = Answers.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://obs-wizard.invalid/answers.schema.json"
    return schema


def answers_schema_text() -> str:
    return json.dumps(answers_schema(), indent=2, sort_keys=True) + "\n"
