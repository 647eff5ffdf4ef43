"""Remember which (schema, document) pairs were found valid, and which promtool unit-test runs passed
(rules, tests, binary), so unchanged inputs are not checked again on every run (like mypy's cache).
Keys are content digests, so any change to an input, the schema, the converter or the binary misses;
only passes are remembered, and anything with problems is always checked again, so its messages are
exact. The cache lives in the user's cache directory; a read-only or missing one only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

_VERSION = "1"
_MAX_ENTRIES = 4096


def _path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "obs-wizard" / "valid-documents.json"


def key(*parts: Any) -> str:
    digest = hashlib.sha256(_VERSION.encode())
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


class ValidCache:
    def __init__(self) -> None:
        self._known: set[str] = set()
        self._new: set[str] = set()
        try:
            self._known = set(json.loads(_path().read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            pass

    def __contains__(self, entry: str) -> bool:
        return entry in self._known

    def add(self, entry: str) -> None:
        if entry not in self._known:
            self._known.add(entry)
            self._new.add(entry)

    def save(self) -> None:
        if not self._new:
            return
        path = _path()
        try:  # another check (a thread of this run, or another run) may have saved since this one loaded
            self._known |= set(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            pass
        entries = sorted(self._known)[-_MAX_ENTRIES:]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(entries), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass
