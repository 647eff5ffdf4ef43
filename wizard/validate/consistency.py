"""A kube-prometheus-stack release must not carry what its own values switch off.

Adopting an existing release (``--adopt``) merges obs-wizard's values into the operator's. When
that release switches Grafana off, or hands Alertmanager's configuration to an AlertmanagerConfig
(``alertmanagerSpec.alertmanagerConfiguration``), obs-wizard's Grafana values, its HTTPRoute to the
Grafana Service, its admin ExternalSecret and its ``alertmanager.config`` would be nonsense: unused,
or silently ignored by the operator. Such a release is an error that says what is inconsistent.
"""

from __future__ import annotations

from typing import Any

from wizard.render.extract import documents
from wizard.validate.findings import Finding, Report

CHECK = "release-consistency"


def _dig(values: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(values, dict):
            return None
        values = values.get(key)
    return values


def check_release_consistency(files: dict[str, str]) -> Report:
    report = Report(checks_run=[CHECK])
    routes = documents(files, "HTTPRoute")
    secrets = documents(files, "ExternalSecret")
    for path, release in documents(files, "HelmRelease"):
        name = str(_dig(release, "metadata", "name") or "")
        values = _dig(release, "spec", "values") or {}
        if not isinstance(values, dict) or "prometheus" not in name and "alertmanager" not in values and "grafana" not in values:
            continue
        app_dir = path.rsplit("/app/", 1)[0] + "/app/" if "/app/" in path else path.rsplit("/", 1)[0] + "/"
        grafana = values.get("grafana")
        if isinstance(grafana, dict) and grafana.get("enabled") is False:
            problems = []
            if set(grafana) - {"enabled"}:
                problems.append(f"Grafana values ({', '.join(sorted(set(grafana) - {'enabled'}))})")
            for route_path, route in routes:
                backends = [b.get("name") for rule in _dig(route, "spec", "rules") or [] if isinstance(rule, dict)
                            for b in rule.get("backendRefs") or [] if isinstance(b, dict)]
                if route_path.startswith(app_dir) and any(str(b).endswith("-grafana") for b in backends):
                    problems.append(f"an HTTPRoute ({route_path}) to the Grafana Service that will not exist")
            referenced = str(_dig(grafana, "admin", "existingSecret") or "grafana-admin")
            for secret_path, secret in secrets:
                if secret_path.startswith(app_dir) and _dig(secret, "spec", "target", "name") == referenced:
                    problems.append(f"an ExternalSecret ({secret_path}, {referenced}) nothing uses")
            if problems:
                report.add(Finding("error", CHECK, f"HelmRelease/{name} switches Grafana off (grafana.enabled: false) but carries "
                                   + "; ".join(problems) + ". Either turn Grafana on in that release, or keep the release as "
                                   "yours (move it out of the folder obs-wizard writes)", file=path))
        handover = _dig(values, "alertmanager", "alertmanagerSpec", "alertmanagerConfiguration")
        if handover and _dig(values, "alertmanager", "config") is not None:
            target = _dig(handover, "name") or "an AlertmanagerConfig"
            report.add(Finding("error", CHECK, f"HelmRelease/{name} sets alertmanager.alertmanagerSpec.alertmanagerConfiguration "
                               f"({target}), so the operator ignores alertmanager.config: obs-wizard's Slack routing would never "
                               f"apply. Route to Slack in the AlertmanagerConfig {target} yourself, or drop "
                               "alertmanagerConfiguration to let obs-wizard's config apply", file=path))
    return report
