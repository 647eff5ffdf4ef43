"""Docs generated from the model stay in sync, and the written YAML passes the repos' linters."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, need
from wizard import docs_table
from wizard.model import SECTIONS


def test_quickstart_variable_table_is_generated_from_the_model():
    text = (ROOT / "quickstart.md").read_text(encoding="utf-8")
    assert docs_table.replace_block(text) == text, "run `python -m wizard.docs_table` to regenerate quickstart.md"
    for section, model in SECTIONS:
        for name in model.model_fields:
            assert f"| `{section}.{name}` |" in text


def test_readme_shows_the_run_and_test_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install . && obs-wizard" in readme
    assert "python -m pytest" in readme
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "OBS_WIZARD_STRICT_TOOLS=1 python -m pytest" in ci


CLUSTER_TEMPLATE_YAMLLINT = """\
extends: default
rules:
  truthy:
    allowed-values: ["true", "false", "on"]
  comments:
    min-spaces-from-content: 1
  line-length: disable
  braces:
    min-spaces-inside: 0
    max-spaces-inside: 1
  brackets:
    min-spaces-inside: 0
    max-spaces-inside: 0
  indentation: enable
"""


def test_golden_tree_passes_yamllint_with_the_cluster_template_style(tmp_path):
    try:
        import yamllint  # noqa: F401
    except ImportError:
        need(False, "yamllint is not installed (pip install yamllint)")
    from wizard import answers_file

    config = tmp_path / "yamllint.yaml"
    config.write_text(CLUSTER_TEMPLATE_YAMLLINT)
    written_answers = tmp_path / "answers.yaml"
    written_answers.write_text(answers_file.dump(answers_file.load(ROOT / "examples" / "answers.yaml")))
    proc = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "-c", str(config), str(ROOT / "kubernetes"), str(ROOT / "examples"),
         str(written_answers), str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
