"""A throwaway view of the repo as it would be after a write, for checks that read files.

The planned files are written into a temporary directory; every other entry of the directories on
their paths is a symlink to the real repo, so references such as ``../../components/sops`` resolve
exactly as they would after the write. The real repo is never modified.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath


@contextmanager
def staged(files: dict[str, str], repo: Path | None = None) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="obs-wizard-stage-") as tmp:
        root = Path(tmp)
        real_dirs: set[PurePosixPath] = {PurePosixPath(".")}
        for rel, text in files.items():
            pure = PurePosixPath(rel)
            real_dirs.update(pure.parents)
            target = root / pure
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if repo is not None:
            for rel_dir in sorted(real_dirs):
                source = repo / rel_dir
                if not source.is_dir():
                    continue
                for entry in os.scandir(source):
                    link = root / rel_dir / entry.name
                    if not link.exists() and not link.is_symlink():
                        link.symlink_to(os.path.abspath(entry.path))
        yield root
