"""Headless runs: plan, dry run, check, atomic write, hand-edit protection and path safety."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import (
    EXAMPLE_ANSWERS,
    MINIMAL_ANSWERS,
    ROOT,
    all_checks_passed,
    flux_repo,
    nothing_written,
    run_cli,
    snapshot_tree,
)
from wizard.base.errors import BadInput
from wizard.write import apply as apply_module

NS = "kubernetes/apps/observability"


@pytest.fixture
def repo(tmp_path) -> Path:
    return flux_repo(tmp_path / "home-ops")


def write(repo: Path, *extra: str, crd_dir: Path | None = None):
    """A real run without 1Password Connect (the secret check has its own tests)."""
    args = ["--answers", EXAMPLE_ANSWERS, "--repo", repo, "--skip-secret-check", *extra]
    if crd_dir:
        args += ["--crd-dir", crd_dir]
    return run_cli(*args)


def test_first_run_writes_the_golden_tree_and_bookkeeping(repo, crd_dir, all_tools):
    result = write(repo, crd_dir=crd_dir)
    assert result.code == 0, result
    assert all_checks_passed(result.out), result.out
    # The Flux alert also watches the namespaces the repo's apps use, which the golden tree (no repo) has not.
    from wizard.answers import answers_file
    from wizard.render import render
    from wizard.repo import app_namespaces

    alerts = "kubernetes/apps/observability/kube-prometheus-stack/app/flux-alerts.yaml"
    in_repo = app_namespaces.with_found_namespaces(answers_file.load(EXAMPLE_ANSWERS), app_namespaces.discover(repo))
    assert (repo / alerts).read_text(encoding="utf-8") == render.render(in_repo)[alerts]
    assert in_repo.alerting.flux_alert_found_namespaces == ["external-secrets", "flux-system", "kube-system"]
    for golden in (ROOT / "kubernetes").rglob("*.yaml"):
        rel = golden.relative_to(ROOT)
        if rel.as_posix() != alerts:
            assert (repo / rel).read_bytes() == golden.read_bytes(), rel
    for bookkeeping in (".obs-wizard/answers.yaml", ".obs-wizard/answers.schema.json", ".obs-wizard/state.json"):
        assert (repo / bookkeeping).is_file()
    assert "Alert -> Slack: 2m40s worst case" in result.out


def test_running_twice_with_the_same_answers_changes_nothing(repo):
    assert write(repo).code == 0
    before = snapshot_tree(repo)
    mtimes = {p: p.stat().st_mtime_ns for p in repo.rglob("*") if p.is_file()}
    result = write(repo)
    assert result.code == 0, result
    assert "nothing to do" in result.out
    assert snapshot_tree(repo) == before
    assert {p: p.stat().st_mtime_ns for p in repo.rglob("*") if p.is_file()} == mtimes


def test_saved_answers_drive_a_rerun_without_answers_flag(repo):
    assert write(repo).code == 0
    result = run_cli("--check", "--repo", repo)
    assert result.code == 0, result
    assert "in sync" in result.out


def test_dry_run_prints_the_plan_with_diffs_and_writes_nothing(repo):
    before = snapshot_tree(repo)
    result = write(repo, "--dry-run")
    assert result.code == 0, result
    assert snapshot_tree(repo) == before
    assert f"  create    {NS}/loki/app/helmrelease.yaml" in result.out
    assert f"+++ b/{NS}/loki/app/helmrelease.yaml" in result.out
    assert "+    deploymentMode: Monolithic" in result.out
    assert "dry run: nothing was written" in result.out


def test_check_exits_1_with_the_diff_on_drift_and_0_in_sync(repo, tmp_path):
    assert run_cli("--check", "--answers", EXAMPLE_ANSWERS, "--repo", repo).code == 1
    assert write(repo).code == 0
    assert run_cli("--check", "--answers", EXAMPLE_ANSWERS, "--repo", repo).code == 0
    # The answers changed but the manifests were not regenerated: drift.
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("pvc_size: 10Gi", "pvc_size: 20Gi"))
    result = run_cli("--check", "--answers", changed, "--repo", repo)
    assert result.code == 1
    assert "-        size: 10Gi\n+        size: 20Gi" in result.out
    assert "1 file(s) differ" in result.err


def test_check_accepts_hand_edits_that_a_run_would_keep(repo):
    assert write(repo).code == 0
    helmrelease = repo / NS / "loki/app/helmrelease.yaml"
    helmrelease.write_text(helmrelease.read_text().replace("size: 10Gi", "size: 20Gi  # grown by hand"))
    result = run_cli("--check", "--answers", EXAMPLE_ANSWERS, "--repo", repo)
    assert result.code == 0, result


def test_changed_answers_update_only_what_changed(repo, tmp_path):
    assert write(repo).code == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("retention: 7d", "retention: 14d"))
    result = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    assert f"  update    {NS}/loki/app/helmrelease.yaml" in result.out
    assert "retention_period: 336h" in (repo / NS / "loki/app/helmrelease.yaml").read_text()
    assert f"  unchanged {NS}/alloy/app/helmrelease.yaml" in result.out
    assert "retention: 14d" in (repo / ".obs-wizard/answers.yaml").read_text()


def test_hand_edit_beside_a_changed_setting_merges_cleanly(repo, tmp_path):
    assert write(repo).code == 0
    helmrelease = repo / NS / "loki/app/helmrelease.yaml"
    helmrelease.write_text(helmrelease.read_text().replace("    test:\n", "    # tuned by hand\n    test:\n") + "# end\n")
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("retention: 7d", "retention: 14d"))
    result = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check")
    assert result.code == 0, result
    assert f"  merge     {NS}/loki/app/helmrelease.yaml  (three-way merge; kept your edits)" in result.out
    text = helmrelease.read_text()
    assert "retention_period: 336h" in text and "# tuned by hand\n    test:" in text and text.endswith("# end\n")


def test_same_value_changed_on_both_sides_is_a_conflict_and_nothing_is_written(repo, tmp_path):
    assert write(repo).code == 0
    helmrelease = repo / NS / "loki/app/helmrelease.yaml"
    helmrelease.write_text(helmrelease.read_text().replace("retention_period: 168h", "retention_period: 240h"))
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("retention: 7d", "retention: 14d"))
    before = snapshot_tree(repo)
    result = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check")
    assert result.code == 4, result
    assert (f"{NS}/loki/app/helmrelease.yaml: spec.values.loki.limits_config.retention_period: "
            'previous render "168h", on disk "240h", new render "336h"') in result.err
    assert snapshot_tree(repo) == before
    theirs = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check", "--conflicts", "theirs")
    assert theirs.code == 0, theirs
    assert "retention_period: 336h" in helmrelease.read_text()


def test_conflicts_ours_keeps_the_value_on_disk(repo, tmp_path):
    assert write(repo).code == 0
    helmrelease = repo / NS / "loki/app/helmrelease.yaml"
    helmrelease.write_text(helmrelease.read_text().replace("retention_period: 168h", "retention_period: 240h"))
    saved = repo / ".obs-wizard/answers.yaml"  # the saved answers follow the kept value (tests/test_plandiff.py)
    saved.write_text(saved.read_text().replace("retention: 7d", "retention: 14d"))
    result = run_cli("--answers", saved, "--repo", repo, "--skip-secret-check", "--conflicts", "ours")
    assert result.code == 0, result
    assert "retention_period: 240h" in helmrelease.read_text()


def test_existing_app_not_written_by_obs_wizard_is_a_conflict(repo):
    existing = repo / NS / "loki/ks.yaml"
    existing.parent.mkdir(parents=True)
    existing.write_text("---\n# my own loki\n")
    before = snapshot_tree(repo)
    result = write(repo)
    assert result.code == 4
    assert "exists and was not written by obs-wizard" in result.err and "--adopt" in result.err
    assert snapshot_tree(repo) == before


def test_deleted_file_is_not_recreated_without_asking(repo):
    assert write(repo).code == 0
    # The operator removes the Grafana route: the file and its entry in the app kustomization.
    (repo / NS / "kube-prometheus-stack/app/httproute.yaml").unlink()
    app_kustomization = repo / NS / "kube-prometheus-stack/app/kustomization.yaml"
    app_kustomization.write_text(app_kustomization.read_text().replace("  - ./httproute.yaml\n", ""))
    result = write(repo)
    assert result.code == 4
    assert "deleted since obs-wizard wrote it" in result.err
    assert not (repo / NS / "kube-prometheus-stack/app/httproute.yaml").exists()
    kept = write(repo, "--conflicts", "ours")
    assert kept.code == 0 and "deleted by you; kept deleted" in kept.out
    assert not (repo / NS / "kube-prometheus-stack/app/httproute.yaml").exists()
    assert "./httproute.yaml" not in app_kustomization.read_text()  # the removal from the list is kept too
    recreated = write(repo, "--conflicts", "theirs")
    assert recreated.code == 0 and (repo / NS / "kube-prometheus-stack/app/httproute.yaml").exists()


HEADLAMP_KUSTOMIZATION = """\
---
# Observability apps; headlamp was here first.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: observability
resources:
  - ./namespace.yaml
  # the cluster dashboard
  - ./headlamp/ks.yaml # pinned
"""


def test_namespace_kustomization_is_edited_in_place_keeping_entries_order_and_comments(repo, kubectl):
    ns = repo / NS
    (ns / "headlamp").mkdir(parents=True)
    (ns / "kustomization.yaml").write_text(HEADLAMP_KUSTOMIZATION)
    (ns / "namespace.yaml").write_text("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: observability # mine\n")
    (ns / "headlamp/ks.yaml").write_text(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: headlamp\n"
        "spec:\n  interval: 1h\n  path: ./x\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )
    result = write(repo)
    assert result.code == 0, result
    assert (ns / "kustomization.yaml").read_text() == HEADLAMP_KUSTOMIZATION + (
        "  - ./kube-prometheus-stack/ks.yaml\n  - ./loki/ks.yaml\n  - ./alloy/ks.yaml\n"
    )
    assert (ns / "namespace.yaml").read_text().endswith("name: observability # mine\n")
    assert f"  keep      {NS}/namespace.yaml" in result.out
    assert f"  merge     {NS}/kustomization.yaml" in result.out
    assert write(repo).out.count("unchanged") >= 17


def test_namespace_kustomization_keeps_its_header_comment_and_list_style():
    from wizard.repo.namespace_kustomization import merge

    old = ("# owned by the platform team\n---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
           "namespace: observability\nresources:\n- ./namespace.yaml\n- ./headlamp/ks.yaml  # keep me\n")
    assert merge(old, "observability", ["./namespace.yaml", "./loki/ks.yaml"], []) == old + "- ./loki/ks.yaml\n"


def test_bad_answers_exit_2_and_write_nothing(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL_ANSWERS.replace("node_count: 3", "node_count: three"))
    result = run_cli("--answers", bad, "--repo", repo, "--skip-secret-check")
    assert result.code == 2
    assert result.err == f"obs-wizard: {bad}:3: cluster.node_count: Input should be a valid integer, unable to parse string as an integer\n"
    assert "Traceback" not in result.out + result.err
    assert nothing_written(repo)


def test_validation_failure_exits_3_and_writes_nothing(repo, tmp_path, kubectl):
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS + "flux:\n  namespace_components:\n    - ../../components/sops\n")
    result = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")
    assert result.code == 3, result
    assert f"[kustomize] {NS}/kustomization.yaml:" in result.out
    assert "components/sops" in result.out
    assert nothing_written(repo)


@pytest.mark.parametrize("relative", [False, True], ids=["absolute-repo", "relative-repo"])
def test_components_that_exist_in_the_repo_validate(repo, tmp_path, all_tools, monkeypatch, relative):
    component = repo / "kubernetes/components/sops"
    component.mkdir(parents=True)
    (component / "kustomization.yaml").write_text(
        "---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./cluster-secrets.yaml\n"
    )
    (component / "cluster-secrets.yaml").write_text(
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\nstringData:\n  SECRET_DOMAIN: example.com\n"
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        MINIMAL_ANSWERS + "grafana:\n  hostname: grafana.${SECRET_DOMAIN}\nflux:\n  substitute_from: cluster-secrets\n"
        "  namespace_components:\n    - ../../components/sops\n"
    )
    if relative:
        monkeypatch.chdir(repo.parent)
    result = run_cli("--answers", answers, "--repo", repo.name if relative else repo, "--skip-secret-check")
    assert result.code == 0, result
    assert all_checks_passed(result.out), result.out
    assert 'hostnames:\n    - "grafana.${SECRET_DOMAIN}"' in (repo / NS / "kube-prometheus-stack/app/httproute.yaml").read_text()


def test_interrupted_write_leaves_the_repo_as_it_was(repo, tmp_path, monkeypatch):
    assert write(repo).code == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_ANSWERS.read_text().replace("node_count: 3", "node_count: 4").replace("pvc_size: 10Gi", "pvc_size: 12Gi"))
    before = snapshot_tree(repo)
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        if not str(dst).startswith(str(repo)):  # the user cache (validated documents, downloads) is not the write
            return real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(apply_module.os, "replace", flaky_replace)
    result = run_cli("--answers", changed, "--repo", repo, "--skip-secret-check")
    assert result.code == 5, result
    assert "nothing was changed" in result.err
    monkeypatch.undo()
    assert snapshot_tree(repo) == before
    assert not [p for p in repo.rglob("*") if "obs-wizard-tmp" in p.name]


def test_interrupted_first_write_removes_what_it_created(repo, monkeypatch):
    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(apply_module.os, "replace", interrupted)
    result = write(repo)
    assert result.code == 130
    assert nothing_written(repo)


@pytest.mark.parametrize("rel", ["../outside.yaml", "/etc/passwd", "kubernetes/../../x.yaml", "a//b.yaml"])
def test_paths_outside_the_repo_are_refused(repo, rel):
    with pytest.raises(BadInput):
        apply_module.safe_target(repo, rel)


def test_a_symlink_cannot_redirect_writes_outside_the_repo(repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / NS).symlink_to(elsewhere)
    before = snapshot_tree(elsewhere)
    result = write(repo)
    assert result.code == 2
    assert f"{NS}: is a symlink to {elsewhere.resolve()}, outside the repo" in result.err
    assert "replace the link with the file or folder itself" in result.err
    assert snapshot_tree(elsewhere) == before
    assert sorted(p.name for p in repo.iterdir()) == ["kubernetes"]


def test_missing_repo_is_a_clear_error(tmp_path):
    result = run_cli("--answers", EXAMPLE_ANSWERS, "--repo", tmp_path / "nope")
    assert result.code == 2
    assert result.err == f"obs-wizard: {tmp_path / 'nope'}: --repo does not exist; pass the root of your GitOps repository\n"


def test_no_answers_and_no_terminal_exits_2_pointing_to_answers(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", "--repo", str(tmp_path)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "--answers" in proc.stderr and "Traceback" not in proc.stderr


def test_version_and_help_list_modes_and_exit_codes():
    from wizard import __version__

    assert run_cli("--version").out.strip() == f"obs-wizard {__version__}"
    text = run_cli("--help").out
    for needle in ("the interactive wizard (Textual)", "--plain", "--dry-run", "--check", "validate", "check-secrets", "schema",
                   "--conflicts", "--adopt", "--skip-secret-check", "exit codes:", "  1  --check", "  2  bad input",
                   "  3  the rendered manifests failed validation", "  4  conflicts", "  5  writing failed",
                   "  6  the 1Password check failed", "  7  1Password Connect is not configured", "  130 cancelled"):
        assert needle in text, needle


def test_validate_subcommand_reports_and_writes_nothing(repo, crd_dir, all_tools):
    result = run_cli("validate", "--answers", EXAMPLE_ANSWERS, "--repo", repo, "--crd-dir", crd_dir)
    assert result.code == 0, result
    assert all_checks_passed(result.out), result.out
    assert nothing_written(repo)


def test_headless_path_does_not_import_textual_or_the_sdk(repo):
    code = (
        "import sys, io; from wizard import cli; "
        f"rc = cli.main(['--answers', {str(EXAMPLE_ANSWERS)!r}, '--repo', {str(repo)!r}, '--dry-run'], io.StringIO(), io.StringIO()); "
        "heavy = [m for m in ('textual', 'questionary', 'onepasswordconnectsdk') if m in sys.modules]; "
        "print(rc, heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "0 []", proc.stderr


def test_unreadable_state_is_a_clear_error_in_every_mode(repo):
    (repo / ".obs-wizard").mkdir()
    (repo / ".obs-wizard/state.json").write_text("{not json")
    result = write(repo)
    assert result.code == 2
    assert "state.json: unreadable (JSONDecodeError); restore it from git" in result.err
    from wizard.base.errors import BadInput
    from wizard.session import Session

    with pytest.raises(BadInput, match="restore it from git"):
        Session.open(repo)
