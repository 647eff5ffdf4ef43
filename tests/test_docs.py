"""Docs generated from the model stay in sync, and the written YAML passes the repos' linters."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, need
from wizard.answers import docs_table
from wizard.answers.model import SECTIONS


def test_quickstart_variable_table_is_generated_from_the_model():
    text = (ROOT / "quickstart.md").read_text(encoding="utf-8")
    assert docs_table.replace_block(text) == text, "run `python -m wizard.answers.docs_table` to regenerate quickstart.md"
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
    from wizard.answers import answers_file

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


# --- the alert table ("What each alert covers") ------------------------------------------------------

from wizard.answers import units  # noqa: E402
from wizard.render import alerts_table, render, sizing  # noqa: E402
from wizard.render.extract import documents  # noqa: E402

APP_SETS = ({}, {"alloy": False}, {"loki": False, "alloy": False})


def test_quickstart_alert_table_is_generated_from_the_render():
    text = (ROOT / "quickstart.md").read_text(encoding="utf-8")
    assert alerts_table.replace_block(text) == text, "run `python -m wizard.render.alerts_table` to regenerate quickstart.md"
    for rule in alerts_table.rules(alerts_table.answers()):
        assert f"| `{rule['alert']}` | {rule['labels']['severity']} |" in text


def test_every_rendered_alert_is_described_and_every_description_is_rendered():
    for apps in APP_SETS:
        names = [r["alert"] for r in alerts_table.rules(alerts_table.answers(apps=apps))]
        assert len(names) == len(set(names)) and set(names) <= set(alerts_table.COVERS)
    assert {r["alert"] for r in alerts_table.rules(alerts_table.answers())} == set(alerts_table.COVERS)
    assert alerts_table.rules(alerts_table.answers(apps={"kube_prometheus_stack": False})) == []


def test_the_latency_budget_names_exactly_the_alerts_it_holds_for():
    """BUDGET_ALERTS: the rendered alerts whose for: follows the "Alert pending time" answer, or that have none."""
    for apps in APP_SETS:
        a = alerts_table.answers(apps=apps, alerting={"rule_for": "7m"})
        held = [r["alert"] for r in alerts_table.rules(a) if r.get("for") in (None, "7m")]
        named = [name for name, app in sizing.BUDGET_ALERTS if app in a.apps.enabled]
        assert sorted(held) == sorted(named), apps
        assert sizing.latency_coverage(a).startswith(f"covers {', '.join(named)};")
        others = [units.parse_duration(r["for"]) for r in alerts_table.rules(a) if r["alert"] not in named]
        assert all(300 <= s <= 900 for s in others)  # "a fixed for: of 5m to 15m"
    text = (ROOT / "quickstart.md").read_text(encoding="utf-8")
    assert ", ".join(f"`{name}`" for name, _ in sizing.BUDGET_ALERTS) in text.replace("\n", " ")


def test_quickstart_layout_names_the_files_the_render_writes():
    text = (ROOT / "quickstart.md").read_text(encoding="utf-8")
    assert "prometheusrule.yaml" not in text
    for path in (ROOT / "kubernetes/apps/observability/kube-prometheus-stack/app").iterdir():
        assert f"`{path.name}`" in text, path.name
    assert "watch the\n`ObservabilityVolumeFillingUp`" not in text and "never fires there" in text


def test_the_flux_alerts_are_as_the_quickstart_says():
    files = render.render(alerts_table.answers())
    kinds = {doc["kind"]: (path, doc) for path, doc in documents(files, "Provider") + documents(files, "Alert")}
    path, provider = kinds["Provider"]
    assert path.endswith("kube-prometheus-stack/app/flux-alerts.yaml")
    assert provider["spec"]["type"] == "alertmanager" and provider["metadata"]["name"] == "alertmanager"
    text = (ROOT / "quickstart.md").read_text(encoding="utf-8")
    assert f"`{provider['spec']['address']}`" in text
    _, alert = kinds["Alert"]
    assert alert["metadata"]["name"] == "flux-errors" and alert["spec"]["eventSeverity"] == "error"
    assert [(s["kind"], s["name"]) for s in alert["spec"]["eventSources"]] == [
        ("Kustomization", "*"), ("HelmRelease", "*"), ("GitRepository", "*"), ("OCIRepository", "*"), ("HelmRepository", "*")]
    assert alert["spec"]["eventMetadata"]["summary"] == "Flux reconciliation error:" and '"Flux reconciliation error:"' in text
    wider = render.render(alerts_table.answers(alerting={"flux_alert_namespaces": ["flux-system"]}))
    (_, alert), = documents(wider, "Alert")
    assert {s.get("namespace") for s in alert["spec"]["eventSources"]} == {None, "flux-system"}
    off = render.render(alerts_table.answers(apps={"kube_prometheus_stack": False}))
    assert documents(off, "Provider") == [] and documents(off, "Alert") == []


def _chart_alerts(charts_src, release: str) -> list[dict]:
    from wizard.validate import helm_render

    rendered, report = helm_render.render_all(render.render(alerts_table.answers()), charts_src)
    assert not report.errors, [f.line() for f in report.findings]
    (result,) = [r for r in rendered if r.release.name == release]
    return [rule for obj in result.objects if obj.get("kind") == "PrometheusRule"
            for group in obj["spec"]["groups"] for rule in group["rules"] if "alert" in rule]


def test_the_loki_chart_rows_are_what_the_chart_renders(charts_src):
    rendered = {}
    for rule in _chart_alerts(charts_src, "loki"):
        rendered.setdefault(rule["alert"], set()).add((rule["labels"]["severity"], rule.get("for", "none")))
    described = {cells[0].strip("`"): {(cells[1], cells[4])} for cells in alerts_table.OTHERS if cells[0].startswith("`Loki")}
    assert rendered == described


def test_the_chart_default_rows_are_what_the_chart_renders(charts_src):
    rules = [r for r in _chart_alerts(charts_src, "kube-prometheus-stack") if r["alert"] not in alerts_table.COVERS]
    (watchdog,) = [r for r in rules if r["alert"] == "Watchdog"]
    assert "for" not in watchdog and watchdog["labels"]["severity"] == "none"
    fors = [units.parse_duration(r.get("for", "0s")) for r in rules if r["alert"] not in ("Watchdog", "InfoInhibitor")]
    assert max(fors) == 4 * 3600  # "some up to 4h"
    assert sum(300 <= s <= 900 for s in fors) > len(fors) / 2  # "most 5m to 15m"
    names = {r["alert"] for r in rules}
    assert {"KubePodCrashLooping", "NodeFilesystemSpaceFillingUp", "TargetDown", "KubePersistentVolumeFillingUp"} <= names
    assert all("kubelet_volume_stats" in r["expr"] for r in rules if r["alert"] == "KubePersistentVolumeFillingUp")
    assert {r["labels"]["severity"] for r in rules} - {"none"} == {"info", "warning", "critical"}
