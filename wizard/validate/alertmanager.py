"""The generated Alertmanager configuration checked by the real amtool.

The effective config is what the chart renders: our ``alertmanager.config`` deep-merged over the
chart's default (Helm merges maps and replaces lists). Checks: ``amtool check-config``; routing
(Watchdog to the heartbeat receiver when one is configured, else to "null"; InfoInhibitor to "null";
everything else, Flux's error events included, to Slack) with ``amtool config routes test``; the Slack title and text parse
(``amtool template render``), which check-config does not do.

``url_file`` (webhook_config, Alertmanager >= 0.26; the pinned chart runs 0.34) is unknown to the
amtool this machine has (Debian's 0.25 refuses it as "field url_file not found"). The config the
cluster will run is still checked, in two halves, and nothing is skipped:
- amtool checks a copy in which each ``url_file: PATH`` is replaced by ``url:`` with an https URL
  (the shape the 1Password check demands of the real value): everything else in the receiver,
  the routes and the rest of the config is exactly what the cluster gets;
- the part amtool cannot see, the file path, is checked here: it must point into a Secret the
  Alertmanager mounts (``alertmanagerSpec.secrets`` -> /etc/alertmanager/secrets/NAME/KEY) and, when
  the render writes that Secret's ExternalSecret, at a key the ExternalSecret's template creates.
The same path check covers the Slack ``api_url_file`` and a heartbeat's bearer-token
``http_config.authorization.credentials_file`` (gatus), which amtool 0.25 knows and checks too.
"""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path
from typing import Any

from wizard.base import yamlio
from wizard.render.extract import documents, helmrelease_values
from wizard.validate import toolrun, tools
from wizard.validate.findings import Finding, Report

ROUTE_EXPECTATIONS = (
    ("null", ["alertname=InfoInhibitor", "severity=none", "namespace=observability"]),
    ("slack", ["alertname=NodesNotReady", "severity=critical"]),
    ("slack", ["alertname=LokiDown", "severity=critical", "namespace=observability"]),
    ("slack", ["alertname=KubePodCrashLooping", "severity=warning", "namespace=default"]),
    # Flux's alertmanager Provider (flux-alerts.yaml): alertname "Flux" + kind + reason, severity error.
    ("slack", ["alertname=FluxHelmReleaseInstallfailed", "severity=error", "namespace=observability", "kind=HelmRelease"]),
)
SECRETS_MOUNT = "/etc/alertmanager/secrets/"
#: What amtool 0.25 checks in place of a url_file: an https URL, as the 1Password check demands of the value.
URL_FILE_STAND_IN = "https://url-file.invalid/checked-separately"
_MOUNTED_FILE = re.compile(r"^/etc/alertmanager/secrets/(?P<secret>[-.a-z0-9]+)/(?P<key>[-._a-zA-Z0-9]+)$")


def route_expectations(config: dict[str, Any]) -> list[tuple[str, list[str]]]:
    receivers = {r.get("name") for r in config.get("receivers") or []}
    watchdog = "heartbeat" if "heartbeat" in receivers else "null"
    return [(watchdog, ["alertname=Watchdog", "severity=none"]), *ROUTE_EXPECTATIONS]


def url_files(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(where, key, path) of every file-held URL or bearer token in the receivers."""
    found = []
    for receiver in config.get("receivers") or []:
        for kind, key in (("webhook_configs", "url_file"), ("slack_configs", "api_url_file")):
            for index, entry in enumerate(receiver.get(kind) or []):
                if not isinstance(entry, dict):
                    continue
                where = f"receivers[{receiver.get('name')}].{kind}[{index}]"
                if isinstance(entry.get(key), str):
                    found.append((f"{where}.{key}", key, entry[key]))
                token = ((entry.get("http_config") or {}).get("authorization") or {}).get("credentials_file")
                if isinstance(token, str):
                    found.append((f"{where}.http_config.authorization.credentials_file", "credentials_file", token))
    return found


def amtool_copy(config: dict[str, Any]) -> dict[str, Any]:
    """The config with each webhook ``url_file`` replaced by ``url`` of the same shape (see the module doc)."""
    stand_in = copy.deepcopy(config)
    for receiver in stand_in.get("receivers") or []:
        for entry in receiver.get("webhook_configs") or []:
            if isinstance(entry, dict) and "url_file" in entry:
                entry.pop("url_file")
                entry["url"] = URL_FILE_STAND_IN
    return stand_in


def mounted_secret_keys(files: dict[str, str]) -> dict[str, set[str]]:
    """Secret name -> keys, for each Secret an ExternalSecret of the render creates from a template."""
    out: dict[str, set[str]] = {}
    for _, doc in documents(files, "ExternalSecret"):
        target = (doc.get("spec") or {}).get("target") or {}
        name = target.get("name") or (doc.get("metadata") or {}).get("name")
        data = ((target.get("template") or {}).get("data")) or {}
        if name and isinstance(data, dict):
            out.setdefault(name, set()).update(data)
    return out


def url_file_problems(config: dict[str, Any], values: dict[str, Any], files: dict[str, str]) -> list[tuple[str, str]]:
    """(where, problem) for each URL file that would not exist in the Alertmanager pod."""
    mounted = ((values.get("alertmanager") or {}).get("alertmanagerSpec") or {}).get("secrets") or []
    created = mounted_secret_keys(files)
    problems = []
    for where, key, path in url_files(config):
        match = _MOUNTED_FILE.match(path)
        if not match:
            problems.append((where, f"{key} {path} is not a file of a mounted Secret ({SECRETS_MOUNT}NAME/KEY)"))
        elif match["secret"] not in mounted:
            problems.append((where, f"{key} reads Secret {match['secret']!r}, which alertmanagerSpec.secrets does not mount "
                                    f"(mounted: {', '.join(mounted) or 'none'})"))
        elif match["secret"] in created and match["key"] not in created[match["secret"]]:
            problems.append((where, f"{key} reads key {match['key']!r} of Secret {match['secret']!r}, but its ExternalSecret "
                                    f"creates only {', '.join(sorted(created[match['secret']]))}"))
    return problems


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
    if any(key == "url_file" for _, key, _ in url_files(config)):  # said in the report, not skipped silently
        report.sources["amtool"] = ("amtool 0.25 predates webhook url_file: checked as an https url, "
                                    "its path against the mounted Secrets")
    for at, problem in url_file_problems(config, values, files):
        report.add(Finding("error", "amtool", problem, file=path, document="HelmRelease/kube-prometheus-stack",
                           path=f"spec.values.alertmanager.config.{at}"))
    with tempfile.TemporaryDirectory(prefix="obs-wizard-am-") as tmp:
        config_file = Path(tmp) / "alertmanager.yaml"
        config_file.write_text(yamlio.dump(amtool_copy(config)), encoding="utf-8")
        proc, missing = toolrun.run("amtool", ["check-config", str(config_file)], check="amtool", step="`amtool check-config`")
        if missing:
            report.add(missing)
            return report
        assert proc is not None
        if proc.returncode != 0:
            report.add(Finding("error", "amtool", toolrun.output(proc, f"{tmp}/"), **where))
            return report
        for receiver, labels in route_expectations(config):
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
