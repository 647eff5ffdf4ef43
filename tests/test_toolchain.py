"""Fitting the operator's toolchain: formatter stability, schema comments, the pre-commit hook."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import yaml

from tests.conftest import EXAMPLE_ANSWERS, ROOT, flux_repo, need, run_cli

NS = "kubernetes/apps/observability"


def test_golden_tree_is_stable_under_oxfmt(tmp_path):
    oxfmt = shutil.which("oxfmt")
    need(oxfmt is not None, "oxfmt is not installed (npm install oxfmt@0.79.0)")
    tree = tmp_path / "kubernetes"
    shutil.copytree(ROOT / "kubernetes", tree)
    (tmp_path / ".oxfmtrc.json").write_text('{"printWidth": 100}\n')  # cluster-template's setting
    before = {p: p.read_bytes() for p in tree.rglob("*.yaml")}
    proc = subprocess.run([oxfmt, "-c", str(tmp_path / ".oxfmtrc.json"), str(tree)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    changed = [str(p.relative_to(tmp_path)) for p, data in before.items() if p.read_bytes() != data]
    assert changed == [], f"oxfmt reformatted: {changed}"


def test_flux_and_eso_documents_carry_a_schema_comment():
    for path in sorted((ROOT / NS).rglob("*.yaml")):
        text = path.read_text()
        for chunk in text.split("\n---\n"):
            doc = yaml.safe_load(chunk.removeprefix("---\n"))
            group = str(doc.get("apiVersion", "")).split("/")[0]
            if group.endswith("fluxcd.io") or group == "external-secrets.io":
                version = doc["apiVersion"].split("/")[1]
                expected = f"# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/{group}/{doc['kind'].lower()}_{version}.json"
                assert expected in chunk, f"{path.relative_to(ROOT)}: {doc['kind']} lacks {expected}"


def _hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == hook_id]
    return hook


def test_pre_commit_hook_command_fails_on_drift_and_passes_in_sync(tmp_path):
    hook = _hook("obs-wizard-check")
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    entry = shlex.split(hook["entry"])
    assert entry[0] == "obs-wizard"
    command = [sys.executable, "-m", "wizard", *entry[1:]]  # the installed console script runs wizard.cli:main
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    in_sync = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=60, env=env)
    assert in_sync.returncode == 0, in_sync.stderr
    # The operator edits the answers but forgets to re-run obs-wizard: the manifests drift.
    saved = repo / ".obs-wizard/answers.yaml"
    saved.write_text(saved.read_text().replace("pvc_size: 10Gi", "pvc_size: 50Gi"))
    drifted = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=60, env=env)
    assert drifted.returncode == 1
    assert f"+++ b/{NS}/loki/app/helmrelease.yaml" in drifted.stdout
    assert "differ from what" in drifted.stderr


def test_pre_commit_validate_hook_fails_when_a_check_cannot_run(tmp_path, monkeypatch):
    """The validate hook is strict: a check skipped for want of data fails the commit, never passes it."""
    hook = _hook("obs-wizard-validate")
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["obs-wizard", "validate"] and "--strict" in entry
    repo = tmp_path / "home-ops"
    flux_repo(repo)
    assert run_cli("--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check").code == 0
    command = [sys.executable, "-m", "wizard", *entry[1:]]
    # Without OBS_WIZARD_STRICT_TOOLS (CI sets it, and it turns every skip into an error itself): the hook's own
    # --strict is what must fail the commit.
    env = {k: v for k, v in os.environ.items()
           if k not in ("OBS_WIZARD_CRD_DIR", "OBS_WIZARD_CHARTS_DIR", "OBS_WIZARD_CHARTS_SRC", "OBS_WIZARD_STRICT_TOOLS")}
    env.update(PYTHONPATH=str(ROOT), OBS_WIZARD_OFFLINE="1", XDG_CACHE_HOME=str(tmp_path / "empty-cache"))
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "skipped" in result.stdout + result.stderr


def test_readme_shows_the_pre_commit_snippet_and_quickstart_the_task_recipes():
    readme = (ROOT / "README.md").read_text()
    assert "id: obs-wizard-check" in readme
    quickstart = (ROOT / "quickstart.md").read_text()
    assert "Taskfile.yaml" in quickstart and "justfile" in quickstart
    assert "obs-wizard validate" in quickstart
