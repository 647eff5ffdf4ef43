"""In-place edit of the namespace ``kustomization.yaml`` with ruamel.yaml round-trip.

The operator's file may list other apps (e.g. headlamp), carry comments and a house order; only the
entries obs-wizard needs are added, nothing is removed or reordered.
"""

from __future__ import annotations

import io
from typing import Any

from wizard import yamlio


class KustomizationEditError(Exception):
    pass


def _yaml(sequence_indent: int, offset: int) -> Any:
    from ruamel.yaml import YAML  # only when the file really changes

    yaml = YAML(typ="rt", pure=True)
    yaml.indent(mapping=2, sequence=sequence_indent, offset=offset)
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _sequence_style(text: str) -> tuple[int, int]:
    """(sequence, offset) matching how the file indents its lists: indented (4, 2) or not (2, 0)."""
    lines = text.splitlines()
    for previous, line in zip(lines, lines[1:]):
        stripped = line.lstrip()
        if stripped.startswith("- ") and previous.rstrip().endswith(":"):
            indent = len(line) - len(stripped)
            parent = len(previous) - len(previous.lstrip())
            return (4, 2) if indent > parent else (2, 0)
    return 4, 2


def _already_complete(existing: str, namespace: str, resources: list[str], components: list[str]) -> bool:
    try:
        data = yamlio.load(existing)
    except yamlio.YAMLError:
        return False
    if not isinstance(data, dict) or data.get("namespace") != namespace:
        return False
    for key, wanted in (("resources", resources), ("components", components)):
        present = {_normal(str(item)) for item in data.get(key) or []}
        if not {_normal(item) for item in wanted} <= present:
            return False
    return True


def merge(existing: str, namespace: str, resources: list[str], components: list[str]) -> str:
    """``existing`` with ``namespace``, ``resources`` and ``components`` ensured; else unchanged."""
    if _already_complete(existing, namespace, resources, components):
        return existing
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    sequence, offset = _sequence_style(existing)
    yaml = _yaml(sequence, offset)
    yaml.explicit_start = existing.lstrip().startswith("---") or "\n---" in existing.split("apiVersion", 1)[0]
    try:
        data = yaml.load(existing)
    except YAMLError as exc:
        raise KustomizationEditError(f"not valid YAML ({exc.__class__.__name__}); fix it by hand first") from None
    if not isinstance(data, CommentedMap):
        raise KustomizationEditError("is not a kustomize Kustomization mapping; fix it by hand first")
    if data.get("kind") not in (None, "Kustomization"):
        raise KustomizationEditError(f"has kind {data.get('kind')!r}, expected Kustomization")

    if data.get("namespace") not in (None, namespace):
        raise KustomizationEditError(
            f"sets namespace {data.get('namespace')!r}, but the answers say {namespace!r}; "
            "change flux.namespace or the file"
        )
    if "namespace" not in data:
        position = list(data.keys()).index("kind") + 1 if "kind" in data else 0
        data.insert(position, "namespace", namespace)

    def ensure(key: str, wanted: list[str]) -> None:
        if not wanted:
            return
        current = data.get(key)
        if current is None:
            current = CommentedSeq()
            data[key] = current
        if not isinstance(current, list):
            raise KustomizationEditError(f"{key}: is not a list; fix it by hand first")
        present = {_normal(str(item)) for item in current}
        for item in wanted:
            if _normal(item) not in present:
                current.append(item)

    ensure("components", components)
    ensure("resources", resources)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _normal(path: str) -> str:
    return path.removeprefix("./").rstrip("/")
