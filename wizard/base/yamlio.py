"""Fast, safe YAML loading with libyaml (round-trip edits use ruamel.yaml instead).

``load_answers`` reads with YAML 1.2 core-schema semantics, as ruamel.yaml does: only
``true``/``false`` are booleans, ``010`` is the integer 10, ``0o10`` is octal. Duplicate keys are
an error. So the fast path and the line-numbered ruamel path always agree on what a file means.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAMLError = yaml.YAMLError


@lru_cache(maxsize=256)
def _load_all_cached(text: str) -> tuple[Any, ...]:
    return tuple(doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None)


def load_all(text: str) -> list[Any]:
    """Every non-empty document in ``text``; raises yaml.YAMLError on bad YAML.

    Parsed once per distinct text (validation reads the same files for several checks); the
    documents are shared, so callers treat them as read-only.
    """
    return list(_load_all_cached(text))


def load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


class DuplicateKeyError(yaml.YAMLError):
    pass


class _Core12Loader(_Loader):  # type: ignore[misc, valid-type]
    """libyaml parsing with the YAML 1.2 core schema and no duplicate keys."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in keys:
                raise DuplicateKeyError(f"duplicate key {key!r}")
            keys.add(key)
        return super().construct_mapping(node, deep=deep)


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _Core12Loader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


def _int12(loader: yaml.Loader, node: yaml.ScalarNode) -> int:
    value = loader.construct_scalar(node)
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    return int(value.replace("_", ""))


_Core12Loader.add_constructor("tag:yaml.org,2002:int", _int12)


class UnsafeYAML(yaml.YAMLError):
    """YAML that an answers file has no use for and that could make reading it explode."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")}
MAX_DEPTH = 16
MAX_SCALARS = 1000
#: The longest number an answers file may hold (node_count is at most 500): a 5000-digit one would
#: exceed Python's integer-string limit while it is read.
MAX_NUMBER_CHARS = 100
_NUMBER = re.compile(r"[-+]?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|[0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)\Z")


def check_plain(text: str) -> None:
    """Refuse anchors and aliases (billion laughs, recursion), tags other than the plain ones
    (``!!python/...``), merge keys and deep nesting, by scanning parser events: nothing is built.

    Raises UnsafeYAML with the line; a syntax error is left to the loaders to report.
    """
    depth = scalars = 0
    # Where the parser is, to name a value: per open collection [is_mapping, expecting_key, key or index,
    # opened_as_key] (a complex key such as ``? [a, b]`` is a collection in a key's place).
    frames: list[list[Any]] = []
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise UnsafeYAML(line, "YAML anchors and aliases (&name, *name) are not allowed in an answers file; write each value out")
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PLAIN_TAGS and not (isinstance(event, yaml.ScalarEvent) and tag == "!"):
            raise UnsafeYAML(line, f"YAML tag {tag!r} is not allowed in an answers file; remove it")
        if isinstance(event, yaml.ScalarEvent):
            if not event.style and len(event.value) > MAX_NUMBER_CHARS and _NUMBER.match(event.value):
                where = ".".join(str(f[2]) for f in frames if f[2] is not None)
                raise UnsafeYAML(line, f"{where + ': ' if where else ''}a number {len(event.value)} characters long; "
                                       "no answer needs more than a few digits: fix the value")
            _ended(frames, event.value)
            scalars += 1
            if scalars > MAX_SCALARS:
                raise UnsafeYAML(line, f"more than {MAX_SCALARS} values; an answers file has about 50: check that this is the right file")
        if isinstance(event, yaml.ScalarEvent) and event.value == "<<" and not event.style:
            raise UnsafeYAML(line, "YAML merge keys (<<) are not allowed in an answers file; write each setting out")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            as_key = bool(frames and frames[-1][0] and frames[-1][1])
            mapping = isinstance(event, yaml.MappingStartEvent)
            frames.append([mapping, True, None if mapping else 0, as_key])
            depth += 1
            if depth > MAX_DEPTH:
                raise UnsafeYAML(line, f"nested more than {MAX_DEPTH} levels deep; an answers file has two")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            as_key = frames.pop()[3]
            _ended(frames, "?" if as_key else None)
            depth -= 1


def _ended(frames: list[list[Any]], scalar: str | None) -> None:
    """A scalar or a collection ended inside ``frames[-1]``: a mapping's key (then its value is next) or a
    value (then the next key), or a sequence's item."""
    if not frames:
        return
    top = frames[-1]
    if not top[0]:
        top[2] += 1
    elif top[1]:
        top[1:3] = [False, scalar if scalar is not None else "?"]
    else:
        top[1:3] = [True, None]


def load_answers(text: str) -> Any:
    """Parse an answers file with YAML 1.2 semantics; raises yaml.YAMLError (incl. duplicates)."""
    return yaml.load(text, Loader=_Core12Loader)


class _IndentedDumper(yaml.SafeDumper):
    """Block sequences indented under their key, as yamllint's default and oxfmt expect."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def dump(data: Any) -> str:
    """A YAML document (``---`` first) in the cluster-template style; keys keep their order."""
    return yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False,
                     explicit_start=True, width=4096, allow_unicode=True)
