"""Fast, safe YAML loading for reading documents (round-trip edits use ruamel.yaml instead)."""

from __future__ import annotations

from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_all(text: str) -> list[Any]:
    """Every non-empty document in ``text``; raises yaml.YAMLError on bad YAML."""
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]


def load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


YAMLError = yaml.YAMLError
