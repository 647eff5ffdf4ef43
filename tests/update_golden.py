"""Regenerate the golden `kubernetes/` tree from examples/answers.yaml: `python -m tests.update_golden`."""

from __future__ import annotations

import shutil

from tests.conftest import EXAMPLE_ANSWERS, ROOT
from wizard.answers import answers_file
from wizard.render import render

if __name__ == "__main__":
    shutil.rmtree(ROOT / "kubernetes", ignore_errors=True)
    for rel, text in render.render(answers_file.load(EXAMPLE_ANSWERS)).items():
        target = ROOT / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(f"wrote {ROOT / 'kubernetes'}")
