"""Sizing advice and the alert-latency budget: computed from the answers, warnings never override."""

from __future__ import annotations

from tests.conftest import MINIMAL_ANSWERS, flux_repo, run_cli
from wizard import answers_file, sizing


def parse(extra: str = ""):
    return answers_file.parse(MINIMAL_ANSWERS + extra, "a.yaml")


def test_disk_estimate_follows_the_documented_formula():
    estimate = sizing.prometheus_disk(parse())
    series = 10_000 + 3 * (2_500 + 30 * 150)
    assert estimate.series == series == 31_000
    assert abs(estimate.bytes_needed - series / 30 * 30 * 86400 * 2.0 * 1.3) <= 1  # 6.96 GB
    assert not estimate.too_small
    assert sizing.warnings(parse()) == []


def test_small_volume_for_many_nodes_warns_but_keeps_the_answer():
    answers = parse("metrics:\n  pvc_size: 10Gi\n  retention: 90d\n")
    (warning,) = sizing.warnings(answers)
    assert warning.startswith("metrics.pvc_size 10Gi is below the estimated need of ")
    assert answers.metrics.pvc_size == "10Gi"


def test_latency_budget_is_scrape_plus_evaluation_plus_for_plus_group_wait():
    budget = sizing.alert_latency(parse())
    assert budget.total == 150 and budget.within_target
    assert budget.describe().startswith("2m30s worst case (30s scrape + 30s evaluation + 1m for + 30s group_wait)")
    slow = parse("metrics:\n  scrape_interval: 1m\nalerting:\n  rule_for: 2m\n")
    assert sizing.alert_latency(slow).total == 240
    (warning,) = sizing.warnings(slow)
    assert "alert -> Slack latency 4m worst case" in warning


def test_warnings_are_shown_in_a_dry_run(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(MINIMAL_ANSWERS + "metrics:\n  pvc_size: 5Gi\nalerting:\n  group_wait: 2m\n")
    result = run_cli("--answers", answers, "--repo", flux_repo(tmp_path / "repo"), "--dry-run")
    assert result.code == 0, result
    assert "warning: metrics.pvc_size 5Gi is below the estimated need" in result.out
    assert "warning: alert -> Slack latency 4m worst case" in result.out
