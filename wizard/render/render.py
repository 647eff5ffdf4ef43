"""Rendering: a pure function from answers to the files of the observability namespace.

``render(answers)`` returns an ordered mapping of repo-relative POSIX paths to file text. It reads
only the packaged templates; it never touches the target repo.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.answers import units
from wizard.answers.model import FLUX_VARIABLES, Answers
from wizard.render import sizing
from wizard.render.names import (  # noqa: F401 - the render's names, kept importable from here
    GRAFANA_SECRET,
    HEARTBEAT_SECRET,
    HEARTBEAT_SECRET_KEY,
    HEARTBEAT_TOKEN_KEY,
    SLACK_SECRET,
    SLACK_SECRET_KEY,
)
from wizard.repo.dialect import LEGACY, Dialect

if TYPE_CHECKING:  # jinja2 loads with the first render (the TUI's first screen needs only the names here)
    import jinja2

#: The packaged templates: wizard/templates in the wheel, templates/ at the top of a source checkout.
TEMPLATES_DIR = next(
    p for p in (Path(__file__).parents[1] / "templates", Path(__file__).parents[2] / "templates") if p.is_dir()
)

#: The additionalPrometheusRulesMap key of the self-monitoring rules in the kube-prometheus-stack values.
SELF_MONITORING_RULE = "self-monitoring"
#: Size of the Alertmanager volume (silences and notification log: small).
ALERTMANAGER_PVC_SIZE = "1Gi"
#: Size of Grafana's volume (its database and plugins; the reasoning is in sizing.py).
GRAFANA_PVC_SIZE = sizing.GRAFANA_PVC_SIZE


#: kube-prometheus-stack 88.5.3's own metricRelabelings (values.yaml kubeApiServer and kubelet), repeated because
#: the render's list replaces the chart's.
APISERVER_LE_CUT = (r"(etcd_request|apiserver_request_slo|apiserver_request_sli|apiserver_request)_duration_seconds_bucket;"
                    r"(0\.15|0\.2|0\.3|0\.35|0\.4|0\.45|0\.6|0\.7|0\.8|0\.9|1\.25|1\.5|1\.75|2|3|3\.5|4|4\.5|6|7|8|9|15|20|40|45|50)(\.0)?")
KUBELET_LE_CUT = r"(csi_operations|storage_operation_duration)_seconds_bucket;(0.25|2.5|15|25|120|600)(\.0)?"


@dataclass(frozen=True)
class App:
    name: str
    chart_url: str
    version: str
    resources: tuple[str, ...]
    depends_on: tuple[tuple[str, str], ...]
    wait: bool
    timeout: str
    ships_crds: bool = False  # the chart carries CRDs (a crds: policy means something)
    volumes: bool = False  # the chart's pods claim volumes of cluster.storage_class


class RenderError(Exception):
    """The render would produce something Flux would silently break (e.g. a stray ``${...}``)."""


def apps(answers: Answers) -> tuple[App, ...]:
    """The apps switched on in the answers. None depends on another: each reconciles on its own.

    kube-prometheus-stack brings the monitoring.coreos.com CRDs; Loki's and Alloy's ServiceMonitors
    (and Loki's chart rules) are only rendered while it is on, inside their Helm charts, so a missing
    CRD fails (and retries) one Helm install instead of blocking a Flux Kustomization (see ks.yaml.j2).
    """
    store = tuple(answers.flux.secret_store_dependency.split("/")) if answers.flux.secret_store_dependency else None
    storage = tuple(answers.flux.storage_dependency.split("/")) if answers.flux.storage_dependency else None
    # Order only where it is real: the ExternalSecrets need the store, the volumes the StorageClass.
    kps_deps = tuple(dict.fromkeys(d for d in (store, storage) if d))
    loki_deps = (storage,) if storage else ()
    every = (
        App(
            name="kube-prometheus-stack",
            chart_url="oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack",
            version=answers.charts.kube_prometheus_stack,
            resources=("externalsecret.yaml", "flux-alerts.yaml", "helmrelease.yaml", "httproute.yaml", "ocirepository.yaml"),
            depends_on=kps_deps,  # type: ignore[arg-type]
            wait=True,
            timeout="15m",
            ships_crds=True,
            volumes=True,
        ),
        App(
            name="loki",
            chart_url="oci://ghcr.io/grafana-community/helm-charts/loki",
            version=answers.charts.loki,
            resources=("helmrelease.yaml", "ocirepository.yaml"),
            depends_on=loki_deps,  # type: ignore[arg-type]
            wait=False,
            timeout="10m",
            volumes=True,
        ),
        App(
            name="alloy",
            chart_url="oci://ghcr.io/home-operations/charts-mirror/alloy",
            version=answers.charts.alloy,
            resources=("helmrelease.yaml", "ocirepository.yaml"),
            depends_on=(),
            wait=False,
            timeout="10m",
            ships_crds=True,  # the PodLogs CRD (charts/crds)
        ),
    )
    return tuple(app for app in every if app.name in answers.apps.enabled)


#: Every app obs-wizard can write, switched on or not (a re-run reports the files of one switched off).
ALL_APPS = ("kube-prometheus-stack", "loki", "alloy")


_PLAIN_SCALAR = re.compile(r"^[A-Za-z0-9_./][-A-Za-z0-9_./]*\Z")
_YAML_SPECIAL = re.compile(r"^(y|yes|n|no|true|false|on|off|null|~|[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?)\Z", re.I)


def yaml_scalar(value: object) -> str:
    """A YAML scalar for ``value``: plain when unambiguous, else a double-quoted JSON string."""
    text = str(value)
    if _PLAIN_SCALAR.match(text) and not _YAML_SPECIAL.match(text):
        return text
    return json.dumps(text)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the user's cache dir (keyed by template source), to start fast."""
    import jinja2

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "obs-wizard", "jinja")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(directory)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        bytecode_cache=_bytecode_cache(),
        variable_start_string="{=",
        variable_end_string="=}",
        block_start_string="{%",
        block_end_string="%}",
        comment_start_string="{#",
        comment_end_string="#}",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["q"] = yaml_scalar
    return env


#: A line the templates write where the repo's dialect has none (a schema comment); render() removes it.
DROP_LINE = "#obs-wizard:drop-line#"


@dataclass(frozen=True)
class CrdOwner:
    """Who keeps the Prometheus Operator CRDs (from ``flux.crds_installed_by`` and the apps switched on)."""

    owner: str | None  # "kube-prometheus-stack", "the HelmRelease <ns>/<name>", or None (nothing writes any)
    bootstrap: str | None  # the bootstrap file that installed them once, if any
    kps_installs: bool  # kube-prometheus-stack's crds.enabled

    @property
    def installer(self) -> str:
        """Who installs them before the ServiceMonitors of Loki and Alloy can apply."""
        return self.owner or "kube-prometheus-stack"


def crd_owner(answers: Answers) -> CrdOwner:
    """One owner, kept upgraded with the operator kube-prometheus-stack runs: kube-prometheus-stack itself
    (its chart carries exactly its operator's CRDs; crds: CreateReplace takes over those applied at bootstrap),
    unless a HelmRelease of the repo already owns them (two Helm owners would fight)."""
    by = answers.flux.crds_installed_by
    kps = answers.apps.kube_prometheus_stack
    if by and by.startswith("helmrelease:"):
        return CrdOwner(f"the HelmRelease {by.removeprefix('helmrelease:')}", None, False)
    return CrdOwner("kube-prometheus-stack" if kps else None, by, kps)


def crd_lines(answers: Answers) -> list[str]:
    """What the run says about the Prometheus Operator CRDs (printed before the plan)."""
    decision = crd_owner(answers)
    by = answers.flux.crds_installed_by
    kps = answers.apps.kube_prometheus_stack
    if by and by.startswith("helmrelease:"):
        line = (f"Prometheus Operator CRDs: owned by {decision.owner}, which the repo already runs"
                + (f"; kube-prometheus-stack installs none (crds.enabled: false): keep that chart in step with the operator "
                   f"kube-prometheus-stack {answers.charts.kube_prometheus_stack} runs" if kps else ""))
        if kps and by.endswith("/kube-prometheus-stack"):
            line += "; a second kube-prometheus-stack would run a second Prometheus Operator: switch one off"
        return [line]
    if by:
        return [f"Prometheus Operator CRDs: installed once at bootstrap by {by}, which nothing upgrades; "
                + ("from now on kube-prometheus-stack owns them (crds: CreateReplace keeps them at the operator version "
                   "it runs)" if kps else "kube-prometheus-stack is off: nothing upgrades them")]
    if kps:
        return ["Prometheus Operator CRDs: none installed by the repo; kube-prometheus-stack installs and owns them "
                "(crds: CreateReplace keeps them at the operator version it runs)"]
    return []


def order_lines(answers: Answers) -> list[str]:
    """The dependsOn the plan writes, each with its reason (printed before the plan)."""
    lines = []
    for app in apps(answers):
        reasons = []
        for dep_ns, dep_name in app.depends_on:
            dep = f"{dep_ns}/{dep_name}"
            why = []
            if dep == answers.flux.secret_store_dependency and app.name == "kube-prometheus-stack":
                why.append(f"its ExternalSecrets read the ClusterSecretStore {answers.secrets.store}")
            if dep == answers.flux.storage_dependency:
                why.append(f"its volumes use the StorageClass {answers.cluster.storage_class}")
            reasons.append(f"{dep} ({' and '.join(why)})")
        if reasons:
            lines.append(f"order: {app.name} dependsOn {', '.join(reasons)}")
    return lines + ["order: no obs-wizard app depends on another (each reconciles and fails on its own)"]


def ks_comments(app: App, answers: Answers) -> list[str]:
    """The comment lines of an app's ks.yaml: why it has (no) dependsOn."""
    import textwrap

    lines = ["No dependsOn on the other observability apps: each reconciles and fails on its own."]
    if app.depends_on:
        lines += textwrap.wrap("dependsOn: " + "; ".join(line.split(" dependsOn ", 1)[1] for line in order_lines(answers)
                                                         if line.startswith(f"order: {app.name} dependsOn ")) + ".", 98,
                               break_on_hyphens=False)
    if app.name != "kube-prometheus-stack" and answers.apps.kube_prometheus_stack:
        crds = crd_owner(answers)
        if crds.bootstrap:
            lines += textwrap.wrap("The one cross-app need, the CRDs of this chart's ServiceMonitor (and rules), is met "
                                   f"before Flux runs: {crds.bootstrap} installs them at bootstrap; kube-prometheus-stack "
                                   "keeps them upgraded.", 98, break_on_hyphens=False)
        elif crds.installer == "kube-prometheus-stack":
            lines += ["The one cross-app need, the CRDs of this chart's ServiceMonitor (and rules), is met inside the",
                      "Helm chart: its install fails and is retried until kube-prometheus-stack has installed them."]
        else:
            lines += textwrap.wrap("The one cross-app need, the CRDs of this chart's ServiceMonitor (and rules), is met "
                                   f"inside the Helm chart: its install fails and is retried until {crds.installer} has "
                                   "installed them.", 98, break_on_hyphens=False)
    return lines


def crd_comments(answers: Answers) -> dict[str, list[str]]:
    """The comment above the monitoring values of Loki and Alloy, and above kube-prometheus-stack's crds:,
    true of who installs the CRDs in this repo (obs-wizard's own wording when kube-prometheus-stack does)."""
    import textwrap

    crds = crd_owner(answers)
    if crds.bootstrap:
        loki = ("Scraped, alerted on and graphed through kube-prometheus-stack. The ServiceMonitor and the PrometheusRules "
                f"are rendered by this chart; their CRDs are installed at bootstrap ({crds.bootstrap}) before Flux runs, "
                "so no Flux dependsOn is needed.")
        alloy = (f"Rendered by the chart; the ServiceMonitor CRD is installed at bootstrap ({crds.bootstrap}) before "
                 "Flux runs, so no Flux dependsOn is needed.")
    elif crds.installer == "kube-prometheus-stack":
        return {
            "loki": ["Scraped, alerted on and graphed through kube-prometheus-stack. The ServiceMonitor and the",
                     "PrometheusRules are rendered by this chart: until kube-prometheus-stack has installed their CRDs",
                     "the Helm install fails and helm-controller retries it; no Flux dependsOn is needed."],
            "alloy": ["Rendered by the chart: fails and is retried by helm-controller until kube-prometheus-stack has",
                      "installed the ServiceMonitor CRD; no Flux dependsOn is needed."],
            "kube-prometheus-stack": [],
        }
    else:
        loki = ("Scraped, alerted on and graphed through kube-prometheus-stack. The ServiceMonitor and the PrometheusRules "
                f"are rendered by this chart: until {crds.installer} has installed their CRDs the Helm install fails and "
                "helm-controller retries it; no Flux dependsOn is needed.")
        alloy = (f"Rendered by the chart: fails and is retried by helm-controller until {crds.installer} has installed "
                 "the ServiceMonitor CRD; no Flux dependsOn is needed.")
    kps = (f"The Prometheus Operator CRDs are owned by {crds.owner} (one owner); keep its chart in step with the "
           "operator this chart runs.") if not crds.kps_installs else ""
    return {name: textwrap.wrap(text, 94, break_on_hyphens=False)
            for name, text in (("loki", loki), ("alloy", alloy), ("kube-prometheus-stack", kps))}


def ks_keys(app: App, answers: Answers, dialect: Dialect) -> list[str]:
    """The spec keys of an app's ks.yaml, in the dialect's order."""
    return [k for k in dialect.ks_keys
            if (k != "dependsOn" or app.depends_on) and (k != "postBuild" or answers.flux.substitute_from)]


def _context(answers: Answers, dialect: Dialect = LEGACY) -> dict[str, object]:
    ns = answers.flux.namespace
    loki_url = f"http://loki.{ns}.svc.cluster.local:3100"
    return {
        "a": answers,
        "d": dialect,
        "drop_line": DROP_LINE,
        "crds": crd_owner(answers),
        "crd_comments": crd_comments(answers),
        "ns": ns,
        "hostname": answers.grafana_hostname,
        "namespace_resources": namespace_resources(answers),
        "grafana_secret": GRAFANA_SECRET,
        "slack_secret": SLACK_SECRET,
        "slack_secret_key": SLACK_SECRET_KEY,
        "alertmanager_pvc_size": ALERTMANAGER_PVC_SIZE,
        "grafana_pvc_size": GRAFANA_PVC_SIZE,
        "heartbeat": sizing.heartbeat_schedule(answers),
        "disk": sizing.prometheus_disk(answers),
        "memory": sizing.prometheus_memory(answers),
        "sizes": sizing.container_sizes(answers),
        "inhibited_by_loki_down": inhibited_by_loki_down(answers),
        "flux_namespaces": flux_alert_namespaces(answers),
        "flux_kinds": FLUX_ALERT_KINDS,
        "apiserver_le_cut": APISERVER_LE_CUT,
        "kubelet_le_cut": KUBELET_LE_CUT,
        "dropped_apiserver_buckets": f"({'|'.join(sizing.DROPPED_APISERVER_BUCKETS)})_bucket",
        "dropped_client_buckets": f"({'|'.join(sizing.DROPPED_CLIENT_BUCKETS)})_bucket",
        "prometheus_url": external_url(answers, "prometheus"),
        "alertmanager_url": external_url(answers, "alertmanager"),
        "heartbeat_secret": HEARTBEAT_SECRET,
        "heartbeat_secret_key": HEARTBEAT_SECRET_KEY,
        "heartbeat_token_key": HEARTBEAT_TOKEN_KEY,
        "loki_url": loki_url,
        "loki_push_url": f"{loki_url}/loki/api/v1/push",
        "apps_on": answers.apps.enabled,
        "self_monitoring_rule": SELF_MONITORING_RULE,
        "pvc_alarm_bytes": int(units.parse_quantity(answers.metrics.pvc_size) * 0.9),
        "alertmanager_service_url": f"http://kube-prometheus-stack-alertmanager.{ns}.svc.cluster.local:9093",
    }


#: The Flux kinds whose error events the flux-errors Alert forwards. FluxInstance (flux-operator) is not among the
#: kinds the pinned notification-controller's Alert accepts (Flux 2.9.4 CRD), so it cannot be listed; its sync
#: GitRepository and Kustomization in flux-system are.
FLUX_ALERT_KINDS = ("Kustomization", "HelmRelease", "GitRepository", "OCIRepository", "HelmRepository")


def flux_alert_namespaces(answers: Answers) -> list[str]:
    """The observability namespace first, then every other namespace the Flux alert watches, sorted."""
    ns = answers.flux.namespace
    others = set(answers.alerting.flux_alert_namespaces)
    if answers.alerting.flux_alert_repo_namespaces:
        others |= set(answers.alerting.flux_alert_found_namespaces)
    return [ns, *sorted(others - {ns})]


def inhibited_by_loki_down(answers: Answers) -> list[str]:
    """The wizard's alerts that follow from LokiDown (Alertmanager inhibits them while it fires)."""
    names = ["LokiCompactorNotRunning"]
    if answers.apps.alloy:
        names = ["LokiNotIngesting", "AlloyLogWritesFailing", *names]
    return names


def external_url(answers: Answers, name: str) -> str | None:
    """The page a person opens for ``name`` (prometheus, alertmanager): its own HTTPRoute's host, or None
    without routes (then no externalUrl is written and Slack gets no links: Prometheus appends /graph...
    and Alertmanager /#/silences... to it, so no other page would do)."""
    if answers.grafana.expose_prometheus_alertmanager:
        return f"https://{answers.sibling_hostname(name)}"
    return None


def render_check(template: str, answers: Answers, **extra: object) -> str:
    """A check artefact (e.g. promtool unit tests) rendered with the same context as the manifests."""
    return _environment().get_template(template).render({**_context(answers), **extra})


def namespace_dir(answers: Answers) -> str:
    return f"kubernetes/apps/{answers.flux.namespace}"


def namespace_resources(answers: Answers) -> list[str]:
    own = ["./namespace.yaml"] if answers.flux.namespace_manifest else []
    return [*own, *(f"./{app.name}/ks.yaml" for app in apps(answers))]


def render(answers: Answers, dialect: Dialect | None = None) -> dict[str, str]:
    """Every file obs-wizard owns, keyed by repo-relative path, in a stable order, written in ``dialect``
    (the repo's, wizard.repo.dialect; None: obs-wizard's own, LEGACY)."""
    env = _environment()
    base = namespace_dir(answers)
    dialect = dialect or LEGACY
    context = _context(answers, dialect)
    context["alloy_config"] = env.get_template("alloy/config.alloy.j2").render(context).rstrip("\n")

    files: dict[str, str] = {f"{base}/kustomization.yaml": env.get_template("namespace/kustomization.yaml.j2").render(context)}
    if answers.flux.namespace_manifest:
        files[f"{base}/namespace.yaml"] = env.get_template("namespace/namespace.yaml.j2").render(context)
    for app in apps(answers):
        app_context = {**context, "app": app, "ks_keys": ks_keys(app, answers, dialect), "ks_comments": ks_comments(app, answers)}
        files[f"{base}/{app.name}/ks.yaml"] = env.get_template("app/ks.yaml.j2").render(app_context)
        files[f"{base}/{app.name}/app/kustomization.yaml"] = env.get_template("app/kustomization.yaml.j2").render(app_context)
        for resource in app.resources:
            shared = "app/ocirepository.yaml.j2" if resource == "ocirepository.yaml" else None
            template = shared or f"{app.name}/{resource}.j2"
            files[f"{base}/{app.name}/app/{resource}"] = env.get_template(template).render(app_context)

    files = {path: "".join(line for line in text.splitlines(keepends=True) if line.rstrip("\n") != DROP_LINE)
             for path, text in files.items()}
    for path, text in files.items():
        check_flux_substitution(path, text, allowed=FLUX_VARIABLES if answers.flux.substitute_from else ())
    return files


_SUBST_RE = re.compile(r"(?<!\$)\$\{([^}]*)\}")


_SUBSTITUTE_DISABLED = "kustomize.toolkit.fluxcd.io/substitute: disabled"
_DOCUMENT_START = re.compile(r"^---\s*\Z")


def flux_variables(text: str) -> list[tuple[int, str]]:
    """(line, name) of every ``${name}`` Flux postBuild would substitute in ``text``.

    ``$${name}`` is Flux's escape, and a document annotated ``kustomize.toolkit.fluxcd.io/substitute:
    disabled`` is left alone by Flux, so neither is reported.
    """
    if "${" not in text:  # most files: nothing to substitute, no need to split them into documents
        return []
    documents: list[list[tuple[int, str]]] = [[]]
    for lineno, line in enumerate(text.splitlines(), start=1):
        if _DOCUMENT_START.match(line):
            documents.append([])
        else:
            documents[-1].append((lineno, line))
    found = []
    for document in documents:
        if any(_SUBSTITUTE_DISABLED in line for _, line in document):
            continue
        found.extend((lineno, match.group(1)) for lineno, line in document for match in _SUBST_RE.finditer(line))
    return found


def substitution_problem(name: str, allowed: tuple[str, ...]) -> str:
    return (f"${{{name}}} would be replaced by Flux postBuild substitution "
            f"(allowed here: {', '.join(allowed) or 'none'}); escape it as $${{...}}")


def check_flux_substitution(path: str, text: str, allowed: tuple[str, ...]) -> None:
    """Refuse any ``${...}`` Flux postBuild would blank."""
    for lineno, name in flux_variables(text):
        if name not in allowed:
            raise RenderError(f"{path}:{lineno}: {substitution_problem(name, allowed)}")
