"""PrometheusRules checked by the real promtool: syntax (`check rules`) and behaviour (`test rules`).

The unit tests (templates/checks/self-monitoring.test.yaml.j2) are rendered with the same answers
and assert that each self-monitoring alert is not firing one evaluation before it should, and
fires, with its exact labels and annotations, when it should.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from wizard.answers import units
from wizard.answers.model import Answers
from wizard.base import yamlio
from wizard.render.extract import prometheus_rules
from wizard.render.render import SELF_MONITORING_RULE  # the additionalPrometheusRulesMap key
from wizard.validate import toolrun, tools, validcache
from wizard.validate.findings import Finding, Report
from wizard.validate.validcache import ValidCache


def timings(answers: Answers) -> dict[str, int]:
    """Seconds at which each self-monitoring alert should start firing in the unit tests."""
    iv = max(1, math.ceil(units.parse_duration(answers.metrics.evaluation_interval)))
    pending = math.ceil(units.parse_duration(answers.alerting.rule_for))

    def after(seconds: float) -> int:  # evaluations happen at multiples of iv
        return math.ceil(seconds / iv) * iv

    down_fire = 2 * iv + after(pending)  # healthy at 0 and iv, broken from 2*iv
    ingest_samples = math.ceil(1200 / iv)  # the counter grows for 20 minutes, then stops
    stopped = ingest_samples * iv
    # rate[10m] reaches 0 at the first evaluation whose window no longer holds the sample before
    # the last increase (Prometheus 2.x, as promtool here, includes the window's left edge), then
    # for: 10m.
    ingest_fire = after(stopped - iv + 600 + 1) + after(600)
    volume_fire = 3 * iv + after(300)  # above 85% from 3*iv, for: 5m
    node_disk_fire = 2 * iv + after(300)  # above 85% from 2*iv, for: 5m
    writes_fire = 2 * iv + after(600)  # failed pushes from 2*iv, for: 10m
    compactor_fire = 2 * iv + after(900)  # compactor stops at 2*iv, for: 15m
    storage_fire = 2 * iv + after(900)  # above 90% of the volume from 2*iv, for: 15m
    drop_at = 4 * iv  # the drop counter grows at 4*iv; increase[10m] > 0 fires at once (no for)
    cut_at = 3 * iv  # blocks deleted for size at 3*iv; fires at once (no for)
    longest = max(down_fire, ingest_fire, volume_fire, node_disk_fire, writes_fire, compactor_fire, storage_fire)
    return {
        "iv": iv, "down_fire": down_fire, "ingest_fire": ingest_fire, "volume_fire": volume_fire,
        "node_disk_fire": node_disk_fire, "writes_fire": writes_fire, "compactor_fire": compactor_fire,
        "storage_fire": storage_fire, "drop_at": drop_at, "cut_at": cut_at,
        "ingest_samples": ingest_samples, "samples": math.ceil(down_fire / iv) + 4,
        "samples_long": math.ceil(longest / iv) + 4,
    }


def check_rules(files: dict[str, str], answers: Answers | None) -> Report:
    report = Report(checks_run=["promtool"])
    rules = prometheus_rules(files)
    if rules and tools.find("promtool") is None:
        _, missing = toolrun.run("promtool", [], check="promtool", step="`promtool check rules` and `promtool test rules`")
        report.add(missing)
        return report
    with tempfile.TemporaryDirectory(prefix="obs-wizard-rules-") as tmp:
        for path, label, name, spec in rules:
            rules_file = Path(tmp) / f"{name}.rules.yaml"
            rules_file.write_text(yamlio.dump(spec), encoding="utf-8")
            proc, missing = toolrun.run("promtool", ["check", "rules", str(rules_file)], check="promtool", step="`promtool check rules`")
            if missing:
                report.add(missing)
                return report
            assert proc is not None
            if proc.returncode != 0:
                report.add(Finding("error", "promtool", toolrun.output(proc, f"{tmp}/"), file=path, document=label))
                continue
            if name == SELF_MONITORING_RULE and answers is not None:
                report.extend(_unit_tests(path, label, rules_file, answers))
    return report


def _unit_tests(path: str, label: str, rules_file: Path, answers: Answers) -> Report:
    from wizard.render import render

    report = Report()
    test_file = rules_file.with_name("self-monitoring.test.yaml")
    test_text = render.render_check("checks/self-monitoring.test.yaml.j2", answers, rules_file=rules_file.name, t=timings(answers))
    test_file.write_text(test_text, encoding="utf-8")
    # The unit tests take promtool about a second: a pass is remembered by the digest of the rules, the tests
    # and the promtool binary, so an unchanged repo (a pre-commit hook's usual case) is not tested again.
    cache = ValidCache()
    entry = _passed_key(rules_file.read_text(encoding="utf-8"), test_text)
    if entry is not None and entry in cache:
        report.sources["promtool"] = ("self-monitoring unit tests not run again: these rules and tests passed them "
                                      "before with this promtool")
        return report
    proc, missing = toolrun.run("promtool", ["test", "rules", test_file.name], check="promtool",
                                step="`promtool test rules`", cwd=rules_file.parent, timeout=120)
    if missing:
        report.add(missing)
    elif proc is not None and proc.returncode != 0:
        report.add(Finding("error", "promtool", "self-monitoring unit tests failed: " + toolrun.output(proc, f"{rules_file.parent}/"),
                           file=path, document=label))
    elif entry is not None:
        cache.add(entry)
        cache.save()
    return report


def _passed_key(rules: str, tests: str) -> str | None:
    binary = tools.find("promtool")
    try:
        stat = os.stat(binary) if binary else None
    except OSError:
        return None
    if stat is None:
        return None
    return validcache.key("promtool test rules", os.path.realpath(binary), stat.st_size, stat.st_mtime_ns, rules, tests)
