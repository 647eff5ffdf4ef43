"""The answers-file JSON Schema, generated from the answers model.

Generated once per process, and its text kept in the user cache per version and model source: a
warm ``obs-wizard schema`` reads that file and imports neither pydantic nor the model.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any


def answers_schema() -> dict[str, Any]:
    from wizard.answers.model import Answers

    schema = Answers.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://obs-wizard.invalid/answers.schema.json"
    return schema


PRINT_WIDTH = 100  # cluster-template's oxfmt (prettier) setting for *.json


def format_json(value: Any, width: int = PRINT_WIDTH) -> str:
    """JSON as oxfmt/prettier (``printWidth``) leaves it, so a repo's formatter never rewrites what obs-wizard
    writes: objects one key a line; an array on one line when it fits (trailing comma counted) and holds
    no object, else one element a line. Ends with a newline."""

    def flat(node: Any) -> str | None:
        if isinstance(node, dict):
            return "{}" if not node else None  # a non-empty object stays expanded, as written
        if isinstance(node, list):
            parts = [flat(item) for item in node]
            return None if any(p is None for p in parts) else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
        return json.dumps(node)

    def fmt(node: Any, indent: int, used: int, tail: int) -> str:
        pad = " " * indent
        if isinstance(node, dict) and node:
            lines = []
            for n, (key, item) in enumerate(node.items()):
                head = f"{pad}  {json.dumps(str(key))}: "
                comma = "," if n < len(node) - 1 else ""
                lines.append(head + fmt(item, indent + 2, len(head), len(comma)) + comma)
            return "{\n" + "\n".join(lines) + f"\n{pad}}}"
        if isinstance(node, list) and node:
            # prettier breaks an array of two or more arrays (or objects) of two or more elements each
            matrix = len(node) > 1 and (all(isinstance(i, list) and len(i) > 1 for i in node)
                                        or all(isinstance(i, dict) and len(i) > 1 for i in node))
            one = None if matrix else flat(node)
            if one is not None and used + len(one) + tail <= width:
                return one
            lines = []
            for n, item in enumerate(node):
                comma = "," if n < len(node) - 1 else ""
                lines.append(f"{pad}  " + fmt(item, indent + 2, indent + 2, len(comma)) + comma)
            return "[\n" + "\n".join(lines) + f"\n{pad}]"
        return flat(node) or "null"

    return fmt(value, 0, 0, 0) + "\n"


@functools.lru_cache(maxsize=1)
def answers_schema_text() -> str:
    """The schema as written to .obs-wizard/; cached in the user cache per version and model source."""
    cache = _cache_path()
    if cache is not None:
        try:
            return cache.read_text(encoding="utf-8")
        except OSError:
            pass
    text = format_json(_sorted(answers_schema()))
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass
    return text


def _sorted(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _sorted(node[key]) for key in sorted(node)}
    if isinstance(node, list):
        return [_sorted(item) for item in node]
    return node


_FORMAT_VERSION = 2  # bump when the text of the schema file changes for the same model


def _cache_path() -> Path | None:
    from wizard import __version__

    try:
        stat = Path(__file__).with_name("model.py").stat()  # the model's source, without importing it
    except OSError:
        return None
    key = hashlib.sha256(f"{__version__}:{_FORMAT_VERSION}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "obs-wizard" / f"answers-schema-{key}.json"
