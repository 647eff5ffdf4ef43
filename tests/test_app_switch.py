"""Switching an app off: the render validates without it, and a re-run says what happens to its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MINIMAL_ANSWERS, flux_repo, require_tool, run_cli
from wizard.answers import answers_file
from wizard.render import render
from wizard.validate import validate_files

NS = "kubernetes/apps/observability"
OFF = {"kube-prometheus-stack": "kube_prometheus_stack", "loki": "loki", "alloy": "alloy"}


@pytest.mark.parametrize("off", [("alloy",), ("loki", "alloy"), ("kube-prometheus-stack",)], ids=lambda o: "+".join(o) + "-off")
def test_a_render_without_an_app_passes_every_check(off, crd_dir, charts_dir, kubectl):
    require_tool("promtool")
    require_tool("amtool")
    answers = answers_file.parse(MINIMAL_ANSWERS + "apps:\n" + "".join(f"  {OFF[a]}: false\n" for a in off), "a.yaml")
    files = render.render(answers)
    assert not [p for p in files if any(p.startswith(f"{NS}/{a}/") for a in off)]
    report = validate_files(files, repo=None, crd_dir=crd_dir, charts_dir=charts_dir, answers=answers)
    assert report.findings == [], [f.line() for f in report.findings]
    assert {"crd-schema", "crd-race", "chart-values", "promtool", "kustomize"} <= set(report.checks_run)


def write(repo: Path, answers: Path):
    return run_cli("--answers", answers, "--repo", repo, "--skip-secret-check")


def test_switching_an_app_off_unlists_it_and_reports_its_files(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS)
    assert write(repo, answers).code == 0
    loki_files = sorted(str(p.relative_to(repo)) for p in (repo / NS / "loki").rglob("*") if p.is_file())
    assert loki_files

    answers.write_text(MINIMAL_ANSWERS + "apps:\n  loki: false\n  alloy: false\n")
    dry = run_cli("--answers", answers, "--repo", repo, "--skip-secret-check", "--dry-run")
    assert dry.code == 0, dry
    assert "-  - ./loki/ks.yaml" in dry.out and "-  - ./alloy/ks.yaml" in dry.out  # the diff shows the unlisting
    for rel in loki_files:
        assert f"keep      {rel}  (apps.loki is off: no longer listed, Flux no longer applies it; delete {NS}/loki/ by hand)" in dry.out

    result = write(repo, answers)
    assert result.code == 0, result
    kustomization = (repo / NS / "kustomization.yaml").read_text()
    assert "./loki/ks.yaml" not in kustomization and "./alloy/ks.yaml" not in kustomization
    assert "./kube-prometheus-stack/ks.yaml" in kustomization
    for rel in loki_files:  # obs-wizard deletes nothing; the plan said so
        assert (repo / rel).is_file()
    helmrelease = (repo / NS / "kube-prometheus-stack/app/helmrelease.yaml").read_text()
    assert "name: Loki" not in helmrelease and "LokiDown" not in helmrelease

    # Switching it on again updates the kept files in place, with no conflict.
    answers.write_text(MINIMAL_ANSWERS)
    again = write(repo, answers)
    assert again.code == 0, again
    assert "./loki/ks.yaml" in (repo / NS / "kustomization.yaml").read_text()
    assert "CONFLICT" not in again.out


def test_an_app_never_written_by_obs_wizard_is_not_unlisted(tmp_path):
    repo = flux_repo(tmp_path / "repo")
    (repo / NS).mkdir(parents=True)
    (repo / NS / "kustomization.yaml").write_text(
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: observability\n"
        "resources:\n  - ./loki/ks.yaml\n")
    (repo / NS / "loki").mkdir()
    (repo / NS / "loki/ks.yaml").write_text(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: loki\n"
        "spec:\n  interval: 1h\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS + "apps:\n  loki: false\n  alloy: false\n")
    result = write(repo, answers)
    assert result.code == 0, result
    assert "  - ./loki/ks.yaml" in (repo / NS / "kustomization.yaml").read_text()  # the operator's own Loki stays
