"""The generated Alertmanager configuration checked by the real amtool.

The effective config is what the chart renders: our ``alertmanager.config`` deep-merged over the
chart's default (Helm merges maps and replaces lists). Checks: ``amtool check-config``; routing
(Watchdog and InfoInhibitor go to the null receiver, a critical alert reaches Slack) with
``amtool config routes test``; the Slack title and text parse (``amtool template render``), which
check-config does not do.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from wizard import tools, yamlio
from wizard.validate import toolrun
from wizard.validate.extract import helmrelease_values
from wizard.validate.findings import Finding, Report

ROUTE_EXPECTATIONS = (
    ("null", ["alertname=Watchdog", "severity=none"]),
    ("null", ["alertname=InfoInhibitor", "severity=none", "namespace=observability"]),
    ("slack", ["alertname=NodesNotReady", "severity=critical"]),
    ("slack", ["alertname=LokiDown", "severity=critical", "namespace=observability"]),
)


def deep_merge(base: Any, override: Any) -> Any:
    """Helm's values merge: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else value
        return merged
    return override


def effective_config(values: dict[str, Any], chart_defaults: dict[str, Any] | None) -> dict[str, Any]:
    ours = ((values.get("alertmanager") or {}).get("config")) or {}
    default = (((chart_defaults or {}).get("alertmanager") or {}).get("config")) or {}
    return deep_merge(default, ours)


def check_alertmanager(files: dict[str, str], chart_defaults: dict[str, Any] | None) -> Report:
    report = Report(checks_run=["amtool"])
    found = helmrelease_values(files, "kube-prometheus-stack")
    if found is None:
        return report
    path, values = found
    if tools.find("amtool") is None:
        _, missing = toolrun.run("amtool", [], check="amtool", step="the amtool checks of the Alertmanager config")
        report.add(missing)
        return report
    config = effective_config(values, chart_defaults)
    where = {"file": path, "document": "HelmRelease/kube-prometheus-stack", "path": "spec.values.alertmanager.config"}
    with tempfile.TemporaryDirectory(prefix="obs-wizard-am-") as tmp:
        config_file = Path(tmp) / "alertmanager.yaml"
        config_file.write_text(yamlio.dump(config), encoding="utf-8")
        proc, missing = toolrun.run("amtool", ["check-config", str(config_file)], check="amtool", step="`amtool check-config`")
        if missing:
            report.add(missing)
            return report
        assert proc is not None
        if proc.returncode != 0:
            report.add(Finding("error", "amtool", toolrun.output(proc, f"{tmp}/"), **where))
            return report
        for receiver, labels in ROUTE_EXPECTATIONS:
            proc, _ = toolrun.run("amtool", ["config", "routes", "test", f"--config.file={config_file}",
                                            f"--verify.receivers={receiver}", *labels], check="amtool", step="`amtool config routes test`")
            if proc is not None and proc.returncode != 0:
                got = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "nothing"
                report.add(Finding("error", "amtool", f"an alert with {' '.join(labels)} is routed to {got}, expected {receiver}", **where))
        empty = Path(tmp) / "empty.tmpl"
        empty.write_text("", encoding="utf-8")
        for receiver in config.get("receivers") or []:
            for index, slack in enumerate(receiver.get("slack_configs") or []):
                for key in ("title", "text"):
                    text = slack.get(key)
                    if not isinstance(text, str):
                        continue
                    proc, _ = toolrun.run("amtool", ["template", "render", f"--template.glob={empty}", f"--template.text={text}"],
                                          check="amtool", step="`amtool template render`")
                    if proc is not None and proc.returncode != 0:
                        report.add(Finding("error", "amtool", f"the Slack {key} template does not parse: {toolrun.output(proc, f'{tmp}/')}",
                                           file=path, document="HelmRelease/kube-prometheus-stack",
                                           path=f"spec.values.alertmanager.config.receivers[{receiver.get('name')}].slack_configs[{index}].{key}"))
    return report
