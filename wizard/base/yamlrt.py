"""ruamel.yaml round-trip loading and dumping that leaves an operator's file as it was.

Per file: the sequence indentation style (indented or not), whether documents start with ``---``,
and any comment lines above the first ``---`` (which ruamel.yaml would drop) are detected and kept.
Quotes, comments, key order and flow style survive through ruamel.yaml itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any


def sequence_style(text: str) -> tuple[int, int]:
    """(sequence, offset) matching how the file indents its lists: indented (4, 2) or not (2, 0)."""
    lines = text.splitlines()
    for previous, line in zip(lines, lines[1:]):
        stripped = line.lstrip()
        if stripped.startswith("- ") and previous.rstrip().endswith(":") and not previous.lstrip().startswith("#"):
            indent = len(line) - len(stripped)
            parent = len(previous) - len(previous.lstrip())
            return (4, 2) if indent > parent else (2, 0)
    return 4, 2


@dataclass
class RoundTrip:
    documents: list[Any]
    yaml: Any
    preamble: str  # comment lines above the first '---', re-emitted verbatim

    def dump(self) -> str:
        buffer = io.StringIO()
        self.yaml.dump_all(self.documents, buffer)
        return self.preamble + buffer.getvalue()


def load(text: str) -> RoundTrip:
    from ruamel.yaml import YAML

    sequence, offset = sequence_style(text)
    yaml = YAML(typ="rt", pure=True)
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    yaml.preserve_quotes = True
    yaml.width = 4096
    lines = text.splitlines(keepends=True)
    preamble = ""
    for index, line in enumerate(lines):
        if line.strip() == "---":
            preamble = "".join(lines[:index]) if all(not l.strip() or l.lstrip().startswith("#") for l in lines[:index]) else ""
            break
        if line.strip() and not line.lstrip().startswith("#"):
            break
    yaml.explicit_start = any(line.strip() == "---" for line in lines)
    documents = [doc for doc in yaml.load_all(text[len(preamble):])]
    return RoundTrip(documents, yaml, preamble)
