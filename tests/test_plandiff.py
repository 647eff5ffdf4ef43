"""The diff shown is exactly the bytes written: `--dry-run` (and every front end, through the plan)
against the real write, by applying the shown diff with GNU patch and comparing the two trees."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_ANSWERS, flux_repo, require_tool, run_cli, snapshot_tree
from wizard.answers.answers_file import parse
from wizard.repo import state
from wizard.write import apply, plan

NS = "kubernetes/apps/observability"
LOKI = f"{NS}/loki/app/helmrelease.yaml"


@pytest.fixture
def repo(tmp_path) -> Path:
    return flux_repo(tmp_path / "home-ops")


def answers_file(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = EXAMPLE_ANSWERS.read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"answers-{len(list(tmp_path.glob('answers-*')))}.yaml"
    path.write_text(text)
    return path


def write(repo: Path, answers: Path = EXAMPLE_ANSWERS, *extra: str):
    return run_cli("--answers", answers, "--repo", repo, "--skip-secret-check", *extra)


def patched(before: Path, diff_text: str, where: Path) -> dict[str, bytes]:
    """The tree ``before`` with ``diff_text`` applied by GNU patch (as an operator reading it would)."""
    patch = require_tool("patch")
    shutil.copytree(before, where)
    done = subprocess.run([patch, "-p1", "--batch", "--silent", "-d", str(where)], input=diff_text,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return snapshot_tree(where)


def assert_dry_run_diff_is_the_write(repo: Path, tmp_path: Path, answers: Path, *extra: str) -> str:
    before = tmp_path / "before"
    shutil.copytree(repo, before)
    dry = write(repo, answers, "--dry-run", *extra)
    assert dry.code == 0, dry
    assert snapshot_tree(repo) == snapshot_tree(before)  # a dry run writes nothing
    expected = patched(before, dry.out, tmp_path / "patched")
    real = write(repo, answers, *extra)
    assert real.code == 0, real
    assert snapshot_tree(repo) == expected
    return dry.out


def test_first_write_creates_exactly_the_diff(repo, tmp_path):
    out = assert_dry_run_diff_is_the_write(repo, tmp_path, EXAMPLE_ANSWERS)
    assert f"+++ b/{LOKI}" in out


def test_update_shows_exactly_the_update(repo, tmp_path):
    assert write(repo).code == 0
    out = assert_dry_run_diff_is_the_write(repo, tmp_path, answers_file(tmp_path, ("retention: 7d", "retention: 14d")))
    assert "  update    " + LOKI in out


def test_a_merge_shows_the_hand_edits_kept_not_deleted(repo, tmp_path):
    assert write(repo).code == 0
    helmrelease = repo / LOKI
    helmrelease.write_text(helmrelease.read_text().replace("    test:\n", "    # tuned by hand\n    test:\n") + "# end")
    out = assert_dry_run_diff_is_the_write(repo, tmp_path, answers_file(tmp_path, ("retention: 7d", "retention: 14d")))
    assert "  merge     " + LOKI in out
    assert "-    # tuned by hand" not in out  # the hand edits are not shown as removed
    # The merge ends the file with a newline, and the diff says so.
    assert "-# end\n\\ No newline at end of file\n+# end\n" in out and helmrelease.read_text().endswith("# end\n")


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_each_side_of_a_conflict_shows_exactly_what_it_writes(repo, tmp_path, side):
    assert write(repo).code == 0
    helmrelease = repo / LOKI
    helmrelease.write_text(helmrelease.read_text().replace("retention_period: 168h", "retention_period: 240h")
                           .replace("    test:\n", "    # tuned by hand\n    test:\n"))
    saved = repo / ".obs-wizard/answers.yaml"  # "ours" updates the saved answer too, in the same write
    saved.write_text(saved.read_text().replace("retention: 7d", "retention: 14d"))
    out = assert_dry_run_diff_is_the_write(repo, tmp_path, saved, "--conflicts", side)
    assert "-    # tuned by hand" not in out
    kept = "retention_period: 240h" if side == "ours" else "retention_period: 336h"
    assert kept in helmrelease.read_text()


def test_a_recreated_file_and_an_adopted_file_show_exactly_what_is_written(repo, tmp_path):
    assert write(repo).code == 0
    (repo / NS / "kube-prometheus-stack/app/httproute.yaml").unlink()
    assert_dry_run_diff_is_the_write(repo, tmp_path / "recreate", EXAMPLE_ANSWERS, "--conflicts", "theirs")
    other = flux_repo(tmp_path / "other")
    existing = other / NS / "loki/app/helmrelease.yaml"
    existing.parent.mkdir(parents=True)
    existing.write_text((repo / LOKI).read_text().replace("retention_period: 168h", "retention_period: 240h") + "# mine\n")
    out = assert_dry_run_diff_is_the_write(other, tmp_path / "adopt", EXAMPLE_ANSWERS, "--adopt", "--conflicts", "ours")
    assert "retention_period: 240h" in existing.read_text() and existing.read_text().endswith("# mine\n")
    assert "-# mine" not in out


def test_an_unsettled_conflict_is_marked_and_its_diff_does_not_pretend(repo, tmp_path):
    assert write(repo).code == 0
    helmrelease = repo / LOKI
    helmrelease.write_text(helmrelease.read_text().replace("retention_period: 168h", "retention_period: 240h")
                           .replace("size: 10Gi", "size: 15Gi"))
    changed = answers_file(tmp_path, ("retention: 7d", "retention: 14d"), ("pvc_size: 10Gi", "pvc_size: 20Gi"))
    dry = write(repo, changed, "--dry-run")
    assert dry.code == 4, dry
    assert f"# CONFLICT {LOKI}: 2 value(s) not settled; nothing is written until each is chosen." in dry.out
    assert f'# CONFLICT {LOKI}:   spec.values.loki.limits_config.retention_period: previous render "168h", on disk "240h", new render "336h"' in dry.out
    assert "+        retention_period: 336h" not in dry.out and "-        retention_period: 240h" not in dry.out


def test_each_pick_recomputes_the_diff_and_it_is_what_apply_writes(repo, tmp_path):
    """The per-value choice API the wizard calls after each pick."""
    assert write(repo).code == 0
    helmrelease = repo / LOKI
    helmrelease.write_text(helmrelease.read_text().replace("retention_period: 168h", "retention_period: 240h")
                           .replace("size: 10Gi", "size: 15Gi").replace("    test:\n", "    # tuned by hand\n    test:\n"))
    answers = parse(answers_file(tmp_path, ("retention: 7d", "retention: 14d"), ("pvc_size: 10Gi", "pvc_size: 20Gi")).read_text(), "a")
    previous = state.load(repo)
    retention, size = "spec.values.loki.limits_config.retention_period", "spec.values.singleBinary.persistence.size"

    def change_for(choose) -> plan.FileChange:
        return next(c for c in plan.build(answers, repo, previous, choose=choose).changes if c.path == LOKI)

    unsettled = change_for(None)
    assert unsettled.action == "conflict" and not unsettled.writes
    assert [(c.path, side) for c, side in unsettled.decisions] == [(retention, None), (size, None)]

    one = change_for({LOKI: {retention: "theirs"}})
    assert one.action == "conflict" and [c.path for c in one.conflicts] == [size]
    assert [(c.path, side) for c, side in one.decisions] == [(retention, "theirs"), (size, None)]
    assert "+        retention_period: 336h" in one.diff() and "size: 20Gi" not in one.diff()
    assert one.diff() != unsettled.diff()

    for picks in ({retention: "theirs", size: "ours"}, {retention: "ours", size: "theirs"},
                  {retention: "theirs", size: "theirs"}):
        settled = change_for({LOKI: picks})
        assert settled.action == "merge" and not settled.conflicts
        assert settled.new == settled.preview or settled.preview is None
        patched_text = _patch_text(tmp_path, helmrelease.read_text(), settled.diff())
        assert patched_text == settled.new
        assert "# tuned by hand" in settled.new
    keep_all = change_for("ours")
    assert keep_all.action == "unchanged" and keep_all.diff() == ""  # nothing written, nothing shown
    # The preview of the unsettled conflict is what "keep mine" for each unsettled value gives.
    assert unsettled.preview == change_for({LOKI: {retention: "ours", size: "ours"}}).old
    partly = change_for({LOKI: {retention: "theirs"}})
    assert partly.preview == change_for({LOKI: {retention: "theirs", size: "ours"}}).new

    written = apply.apply(repo, plan.build(answers, repo, previous, choose="theirs").changes)
    assert LOKI in written and "size: 20Gi" in helmrelease.read_text() and "# tuned by hand" in helmrelease.read_text()


def _patch_text(tmp_path: Path, old: str, diff_text: str) -> str:
    work = tmp_path / "one"
    shutil.rmtree(work, ignore_errors=True)
    (work / Path(LOKI).parent).mkdir(parents=True)
    (work / LOKI).write_text(old)
    patch = require_tool("patch")
    done = subprocess.run([patch, "-p1", "--batch", "--silent", "-d", str(work)], input=diff_text, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return (work / LOKI).read_text()


def test_a_file_without_a_final_newline_diffs_to_the_exact_bytes():
    diff_text = plan.unified_diff("a: 1\nb: 2", "a: 1\nb: 3", "x.yaml")
    assert diff_text.endswith("-b: 2\n\\ No newline at end of file\n+b: 3\n\\ No newline at end of file\n")


# --- a rendered object that lost its kind, name or spec is a failure, not a hand edit (issue 14 item 12)

BROKEN = {
    "emptied": lambda text: "",
    "emptied-to-a-comment": lambda text: "---\n# nothing here\n",
    "kind-changed": lambda text: text.replace("kind: HelmRelease", "kind: ConfigMap"),
    "name-lost": lambda text: text.replace("metadata:\n  name: loki\n", "metadata: {}\n"),
    "name-changed": lambda text: text.replace("metadata:\n  name: loki\n", "metadata:\n  name: loki-old\n"),
    "spec-lost": lambda text: text[: text.index("spec:\n")],
    "spec-emptied": lambda text: text[: text.index("spec:\n")] + "spec: {}\n",
}


@pytest.mark.parametrize("how", list(BROKEN))
def test_a_broken_helmrelease_fails_check_and_validate_and_force_restores_it(repo, tmp_path, how):
    assert write(repo).code == 0
    helmrelease = repo / LOKI
    golden = helmrelease.read_text()
    helmrelease.write_text(BROKEN[how](golden))
    before = snapshot_tree(repo)

    check = run_cli("--check", "--repo", repo)
    assert check.code == 1, check
    assert "Flux would delete it from the cluster" in check.out
    validate = run_cli("validate", "--repo", repo)
    assert validate.code == 3, validate
    assert f"error: [manifests] {LOKI}: HelmRelease/loki" in validate.out
    rerun = write(repo)
    assert rerun.code == 4, rerun
    assert "Flux would delete it from the cluster; take the new render to restore it" in rerun.err
    kept = write(repo, EXAMPLE_ANSWERS, "--conflicts", "ours")
    assert kept.code == 3, kept  # keeping it broken is refused by validation
    assert snapshot_tree(repo) == before

    forced = write(repo, EXAMPLE_ANSWERS, "--force")
    assert forced.code == 0, forced
    import yaml

    assert yaml.safe_load(helmrelease.read_text()) == yaml.safe_load(golden)
    if how in ("emptied", "kind-changed", "name-changed", "spec-lost"):
        assert helmrelease.read_text() == golden
    assert run_cli("--check", "--repo", repo).code == 0
    assert run_cli("validate", "--repo", repo).code == 0


def test_validation_reads_the_merged_bytes_not_the_render(repo, tmp_path, crd_dir):
    """A hand edit that breaks a manifest is caught although the answers render a valid one."""
    assert write(repo).code == 0
    helmrelease = repo / LOKI
    helmrelease.write_text(helmrelease.read_text().replace("  interval: 1h\n", "  interval: 1h\n  bogusField: true\n"))
    result = run_cli("validate", "--repo", repo)
    assert result.code == 3, result
    assert "bogusField" in result.out


# --- keeping a value on disk keeps the answers true (issue 12: --conflicts ours) ------------------

KPS = f"{NS}/kube-prometheus-stack/app/helmrelease.yaml"
SAVED = ".obs-wizard/answers.yaml"


def test_keeping_a_value_on_disk_updates_the_saved_answer_in_place(repo):
    assert write(repo).code == 0
    kps = repo / KPS
    kps.write_text(kps.read_text().replace("retention: 30d", "retention: 45d"))
    saved = repo / SAVED
    saved.write_text(saved.read_text().replace("  retention: 30d", "  retention: 60d  # more history") + "# my note\n")
    assert run_cli("--answers", saved, "--repo", repo, "--skip-secret-check").code == 4  # a conflict first

    result = run_cli("--answers", saved, "--repo", repo, "--skip-secret-check", "--conflicts", "ours")
    assert result.code == 0, result
    assert 'answers: metrics.retention: "60d" -> "45d"' in result.out
    assert "retention: 45d" in kps.read_text()
    text = saved.read_text()
    assert "  retention: 45d  # more history" in text and text.endswith("# my note\n")  # edited in place
    assert "Prometheus disk:" in result.out and "for 45d" in result.out  # the sizing uses the kept value
    assert run_cli("--check", "--repo", repo).code == 0
    again = run_cli("--answers", saved, "--repo", repo, "--skip-secret-check")
    assert again.code == 0 and "nothing to do" in again.out


def test_a_kept_value_rendered_from_another_form_updates_that_answer(repo, tmp_path):
    """Loki's retention_period (hours) comes from logs.retention (days): the answer that renders it is found."""
    assert write(repo).code == 0
    loki = repo / LOKI
    loki.write_text(loki.read_text().replace("retention_period: 168h", "retention_period: 240h"))
    saved = repo / SAVED
    saved.write_text(saved.read_text().replace("  retention: 7d", "  retention: 14d"))
    result = run_cli("--answers", saved, "--repo", repo, "--skip-secret-check", "--conflicts", "ours")
    assert result.code == 0, result
    assert answers_file_load(saved).logs.retention in ("240h", "10d")
    assert "retention_period: 240h" in loki.read_text()
    assert run_cli("--check", "--repo", repo).code == 0


def test_an_answers_file_outside_the_repo_is_named_not_left_lying(repo, tmp_path):
    assert write(repo).code == 0
    loki = repo / LOKI
    loki.write_text(loki.read_text().replace("retention_period: 168h", "retention_period: 240h"))
    changed = answers_file(tmp_path, ("retention: 7d", "retention: 14d"))
    before = snapshot_tree(repo)
    result = write(repo, changed, "--conflicts", "ours")
    assert result.code == 4, result
    assert f'{changed}: set logs.retention: "240h" (it says "14d")' in result.err
    assert "nothing was written" in result.err
    assert snapshot_tree(repo) == before


def test_a_kept_value_no_answer_can_render_stops_and_names_the_answer(repo, tmp_path):
    assert write(repo).code == 0
    loki = repo / LOKI
    loki.write_text(loki.read_text().replace("retention_period: 168h", "retention_period: 250h"))  # not whole days
    saved = repo / SAVED
    saved.write_text(saved.read_text().replace("  retention: 7d", "  retention: 14d"))
    before = snapshot_tree(repo)
    result = run_cli("--answers", saved, "--repo", repo, "--skip-secret-check", "--conflicts", "ours")
    assert result.code == 4, result
    assert 'logs.retention is "14d" in the answers, but ' in result.err and 'keeps "250h"' in result.err
    assert snapshot_tree(repo) == before


def test_a_keep_mine_pick_in_the_wizard_updates_the_answers_it_saves(repo, tmp_path):
    assert write(repo).code == 0
    kps = repo / KPS
    kps.write_text(kps.read_text().replace("retention: 30d", "retention: 45d"))
    answers = parse(answers_file(tmp_path, ("retention: 30d", "retention: 60d")).read_text(), "a")
    from wizard.repo import app_namespaces  # as Session.plan does: the namespaces the Flux alert watches, found anew

    answers = app_namespaces.with_found_namespaces(answers, app_namespaces.discover(repo))
    the_plan = plan.build(answers, repo, state.load(repo), choose={KPS: {"spec.values.prometheus.prometheusSpec.retention": "ours"}})
    assert not the_plan.conflicts and not the_plan.stale_answers
    assert [(u.field, u.old, u.new) for u in the_plan.answer_updates] == [("metrics.retention", "60d", "45d")]
    assert the_plan.answers.metrics.retention == "45d"
    saved = next(c for c in the_plan.changes if c.path == SAVED)
    assert "retention: 45d" in saved.new
    apply.apply(repo, the_plan.changes)
    assert run_cli("--check", "--repo", repo).code == 0


def answers_file_load(path: Path):
    from wizard.answers import answers_file as module

    return module.load(path)
