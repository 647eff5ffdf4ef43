"""The answers-file JSON Schema, generated from the answers model."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from wizard.answers.model import Answers


def answers_schema() -> dict[str, Any]:
    schema = Answers.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://obs-wizard.invalid/answers.schema.json"
    return schema


def answers_schema_text() -> str:
    """The schema as written to .obs-wizard/; cached in the user cache per version and model source."""
    cache = _cache_path()
    if cache is not None:
        try:
            return cache.read_text(encoding="utf-8")
        except OSError:
            pass
    text = json.dumps(answers_schema(), indent=2, sort_keys=True) + "\n"
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass
    return text


def _cache_path() -> Path | None:
    from wizard import __version__
    from wizard.answers import model

    try:
        stat = Path(model.__file__).stat()
    except OSError:
        return None
    key = hashlib.sha256(f"{__version__}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "obs-wizard" / f"answers-schema-{key}.json"
