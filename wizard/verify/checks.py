"""The live checks. Each adds findings (error or skipped, with the object's own message and the remedy) and a
detail for when it passes, to a validate ``Report``; none writes anything to the cluster except ``test_alert``
(one alert, severity info, labelled as a test, ending within minutes) and ``log_search`` (one canary line)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import yaml

from wizard.answers import units
from wizard.answers.model import Answers
from wizard.render import sizing
from wizard.render.extract import helmrelease_values
from wizard.validate.findings import Finding, Report
from wizard.verify import gitref
from wizard.verify.kube import Kube, RequestFailed, service_path

PROMETHEUS = ("kube-prometheus-stack-prometheus", "9090")
ALERTMANAGER = ("kube-prometheus-stack-alertmanager", "9093")
GRAFANA = ("kube-prometheus-stack-grafana", "80")
LOKI = ("loki", "3100")

KS_API = "/apis/kustomize.toolkit.fluxcd.io/v1"
HR_API = "/apis/helm.toolkit.fluxcd.io/v2"
TEST_ALERT_PREFIX = "ObsWizardVerifyTest"
CANARY_JOB = "obs-wizard-verify"
LOG_SEARCH_TARGET = 30.0
RETRY_GRACE = 10.0  # seconds verify waits, after Slack refused, for one of Alertmanager's retries to get through


@dataclass
class Context:
    kube: Kube
    answers: Answers
    files: dict[str, str]
    repo: Path
    report: Report = field(default_factory=Report)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    nodes: list[str] = field(default_factory=list)
    kustomizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    _events: list[dict[str, Any]] | None = None
    on_change: Callable[[str], None] | None = None  # told the check's name each time a check reports (live progress)

    @property
    def ns(self) -> str:
        return self.answers.flux.namespace

    def _ran(self, check: str) -> None:
        if check not in self.report.checks_run:
            self.report.checks_run.append(check)

    def _told(self, check: str) -> None:
        if self.on_change is not None:
            self.on_change(check)

    def passed(self, check: str, detail: str | None = None) -> None:
        self._ran(check)
        if detail:
            self.report.sources[check] = detail
        self._told(check)

    def fail(self, check: str, message: str, document: str | None = None, remedy: str | None = None) -> None:
        self._ran(check)
        self.report.add(Finding("error", check, message, document=document, remedy=remedy))
        self._told(check)

    def skip(self, check: str, message: str, remedy: str | None = None) -> None:
        self._ran(check)
        self.report.add(Finding("skipped", check, message, remedy=remedy))
        self._told(check)

    def service(self, which: tuple[str, str], sub: str) -> str:
        return service_path(self.ns, which[0], which[1], sub)

    def failed(self, check: str) -> bool:
        return any(f.check == check and f.level == "error" for f in self.report.findings)


def _ready(obj: dict[str, Any]) -> tuple[bool, str]:
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond.get("status") == "True", (cond.get("message") or cond.get("reason") or "").strip()
    return False, "no Ready condition yet (not reconciled)"


def _warnings(ctx: Context, kind: str, name: str) -> list[str]:
    if ctx._events is None:  # listed once per round
        try:
            ctx._events = ctx.kube.get_json(f"/api/v1/namespaces/{ctx.ns}/events").get("items") or []
        except RequestFailed:
            ctx._events = []
    events = ctx._events
    mine = [e for e in events if e.get("type") == "Warning" and (e.get("involvedObject") or {}).get("kind") == kind
            and (e.get("involvedObject") or {}).get("name") == name]
    mine.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return [f"{e.get('reason', '')}: {(e.get('message') or '').strip()}" for e in mine[-2:]]


def round_reads(ctx: Context) -> list[str]:
    """The reads every round makes whatever it finds, to be fetched side by side."""
    ns, apps = ctx.ns, ctx.answers.apps
    paths = [f"{KS_API}/namespaces/{ns}/kustomizations", f"{HR_API}/namespaces/{ns}/helmreleases",
             f"/api/v1/namespaces/{ns}/persistentvolumeclaims", f"/api/v1/namespaces/{ns}/pods", "/api/v1/nodes",
             f"/api/v1/namespaces/{ns}/events"]
    if apps.alloy:
        paths.append(f"/apis/apps/v1/namespaces/{ns}/daemonsets/alloy")
    if apps.kube_prometheus_stack:
        paths += [ctx.service(PROMETHEUS, p) for p in ("/-/ready", "/api/v1/targets?state=active", "/api/v1/rules",
                                                       "/api/v1/alertmanagers")]
        paths += [ctx.service(ALERTMANAGER, "/api/v2/status"), ctx.service(GRAFANA, "/api/health")]
    if apps.loki:
        paths.append(ctx.service(LOKI, "/ready"))
    return paths


# --- 1. Flux -----------------------------------------------------------------------------------------


def flux(ctx: Context) -> None:
    apps = ctx.answers.apps.enabled
    for check, api, plural, kind, reconcile in (
        ("flux-kustomizations", KS_API, "kustomizations", "Kustomization", "flux reconcile kustomization {name} -n {ns} --with-source"),
        ("flux-helmreleases", HR_API, "helmreleases", "HelmRelease", "flux reconcile helmrelease {name} -n {ns} --force"),
    ):
        ready = []
        try:  # one list, not a get per app: each kubectl call costs a process start
            items = {o["metadata"]["name"]: o for o in ctx.kube.get_json(f"{api}/namespaces/{ctx.ns}/{plural}").get("items") or ()}
        except RequestFailed as exc:
            remedy = ("install Flux (its CRDs are missing)" if exc.reason == "NotFound" else None)
            ctx.fail(check, f"the {kind}s in {ctx.ns} cannot be listed: {exc.message}", remedy=remedy)
            continue
        if kind == "Kustomization":
            ctx.kustomizations = items
        for name in apps:
            obj = items.get(name)
            if obj is None:
                ctx.fail(check, "not found: Flux has not applied it", f"{kind} {ctx.ns}/{name}",
                         "git push, then flux reconcile kustomization cluster-apps --with-source")
                continue
            ok, message = _ready(obj)
            if ok:
                ready.append(name)
                continue
            events = _warnings(ctx, kind, name)
            said = f"not Ready: {message}" + (f"; last Warning events: {' | '.join(events)}" if events else "")
            ctx.fail(check, said, f"{kind} {ctx.ns}/{name}", reconcile.format(name=name, ns=ctx.ns) + " after fixing the cause")
        ctx.passed(check, f"{len(ready)} Ready: {', '.join(ready)}" if ready else None)
    _revision(ctx)


def _revision(ctx: Context) -> None:
    check = "flux-revision"
    branch, head = gitref.head(ctx.repo)
    applied: dict[str, str] = {}
    for name in ctx.answers.apps.enabled:
        obj = ctx.kustomizations.get(name)
        if obj is None:
            continue
        revision = (obj.get("status") or {}).get("lastAppliedRevision")
        if revision:
            applied[name] = revision
    if not applied:
        ctx.skip(check, "no observability Kustomization has applied a revision yet", "git push, then flux reconcile kustomization cluster-apps --with-source")
        return
    if head is None:
        ctx.skip(check, f"the repo's HEAD cannot be read from {ctx.repo / '.git'}", "run verify with --repo pointing at your git checkout")
        return
    # "main@sha1:<sha>" (Flux v2.x), "main/<sha>" (older Flux): the commit is the 40 (or 64) hex digits in it.
    stale = {name: rev for name, rev in applied.items()
             if (m := re.search(r"\b([0-9a-f]{64}|[0-9a-f]{40})\b", rev)) is None or m[1] != head}
    if stale:
        for name, rev in stale.items():
            ctx.fail(check, f"applied revision {rev} is not the repo's HEAD {branch or 'HEAD'}@sha1:{head[:12]}",
                     f"Kustomization {ctx.ns}/{name}",
                     "git push (HEAD may not be pushed yet), then flux reconcile kustomization cluster-apps --with-source; "
                     "or run verify with --wait 10m")
        return
    ctx.passed(check, f"{len(applied)} applied {branch or 'HEAD'}@sha1:{head[:12]}, the repo's HEAD")


# --- 2. storage and pods ---------------------------------------------------------------------------


def _expected_volumes(ctx: Context) -> dict[str, tuple[str, str]]:
    """PVC name prefix -> (what, size) from the answers and the render."""
    expected: dict[str, tuple[str, str]] = {}
    if ctx.answers.apps.kube_prometheus_stack:
        expected["prometheus-"] = ("Prometheus", ctx.answers.metrics.pvc_size)
        found = helmrelease_values(ctx.files, "kube-prometheus-stack")
        spec = ((((found[1] if found else {}).get("alertmanager") or {}).get("alertmanagerSpec") or {}).get("storage") or {})
        size = (((spec.get("volumeClaimTemplate") or {}).get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
        if size:
            expected["alertmanager-"] = ("Alertmanager", size)
    if ctx.answers.apps.loki:
        expected["storage-loki-"] = ("Loki", ctx.answers.logs.pvc_size)
    return expected


def storage(ctx: Context) -> None:
    check = "volumes"
    try:
        pvcs = ctx.kube.get_json(f"/api/v1/namespaces/{ctx.ns}/persistentvolumeclaims").get("items") or []
    except RequestFailed as exc:
        ctx.fail(check, f"the PVCs in {ctx.ns} cannot be listed: {exc.message}")
        return
    good = []
    want_class = ctx.answers.cluster.storage_class
    for prefix, (what, size) in _expected_volumes(ctx).items():
        mine = [p for p in pvcs if p["metadata"]["name"].startswith(prefix)]
        if not mine:
            ctx.fail(check, f"no PVC {prefix}* for {what} ({size} of {want_class})", f"namespace {ctx.ns}",
                     "check the HelmRelease (flux-helmreleases above) and the StatefulSet's events")
            continue
        for pvc in mine:
            name, spec = pvc["metadata"]["name"], pvc.get("spec") or {}
            phase = (pvc.get("status") or {}).get("phase", "unknown")
            doc = f"PersistentVolumeClaim {ctx.ns}/{name}"
            problems = []
            if phase != "Bound":
                events = _warnings(ctx, "PersistentVolumeClaim", name)
                problems.append(f"is {phase}, not Bound" + (f" ({' | '.join(events)})" if events else ""))
            if spec.get("storageClassName") != want_class:
                problems.append(f"has StorageClass {spec.get('storageClassName')!r}, the answers say {want_class!r}")
            requested = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
            try:
                same = requested is not None and units.parse_quantity(requested) == units.parse_quantity(size)
            except ValueError:
                same = False
            if not same:
                problems.append(f"requests {requested}, the answers say {size}")
            if problems:
                ctx.fail(check, "; ".join(problems), doc,
                         f"kubectl describe pvc {name} -n {ctx.ns}; check the StorageClass {want_class} exists and can provision")
            else:
                good.append(f"{name} {requested}")
    ctx.passed(check, f"Bound, {want_class}: {', '.join(good)}" if good else None)


#: app.kubernetes.io/name of each component's pods, and the app that runs it.
COMPONENTS = (("prometheus", "Prometheus", "kube-prometheus-stack"), ("alertmanager", "Alertmanager", "kube-prometheus-stack"),
              ("grafana", "Grafana", "kube-prometheus-stack"), ("loki", "Loki", "loki"))


def _pod_ready(pod: dict[str, Any]) -> tuple[bool, str]:
    status = pod.get("status") or {}
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return True, ""
    waiting = [f"{c.get('name')}: {(c.get('state') or {}).get('waiting', {}).get('reason', '')}"
               for c in status.get("containerStatuses") or () if (c.get("state") or {}).get("waiting")]
    return False, f"{status.get('phase', 'unknown')}" + (f" ({', '.join(waiting)})" if waiting else "")


def pods(ctx: Context) -> None:
    check = "pods"
    try:
        items = ctx.kube.get_json(f"/api/v1/namespaces/{ctx.ns}/pods").get("items") or []
    except RequestFailed as exc:
        ctx.fail(check, f"the pods in {ctx.ns} cannot be listed: {exc.message}")
        return
    good = []
    for label, what, app in COMPONENTS:
        if app not in ctx.answers.apps.enabled:
            continue
        mine = [p for p in items if ((p.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/name") == label]
        if not mine:
            ctx.fail(check, f"no {what} pod (app.kubernetes.io/name={label})", f"namespace {ctx.ns}",
                     f"check HelmRelease {app} (flux-helmreleases above)")
            continue
        for pod in mine:
            ok, why = _pod_ready(pod)
            if ok:
                good.append(pod["metadata"]["name"])
            else:
                ctx.fail(check, f"{what} pod not Ready: {why}", f"Pod {ctx.ns}/{pod['metadata']['name']}",
                         f"kubectl describe pod {pod['metadata']['name']} -n {ctx.ns}")
    ctx.passed(check, f"Ready: {', '.join(good)}" if good else None)


def nodes_and_alloy(ctx: Context) -> None:
    try:
        nodes = ctx.kube.get_json("/api/v1/nodes").get("items") or []
    except RequestFailed as exc:
        ctx.fail("node-count", f"the nodes cannot be listed: {exc.message}")
        return
    ctx.nodes = [n["metadata"]["name"] for n in nodes]
    count, answered = len(nodes), ctx.answers.cluster.node_count
    if count != answered:
        ctx.fail("node-count", f"the cluster has {count} node(s), the answers say cluster.node_count: {answered}",
                 remedy=f"set cluster.node_count: {count} in the answers (it sizes the metrics disk) and re-run obs-wizard")
    else:
        ctx.passed("node-count", f"{count} node(s), as the answers say")
    if not ctx.answers.apps.alloy:
        return
    check = "alloy-daemonset"
    try:
        ds = ctx.kube.get_json(f"/apis/apps/v1/namespaces/{ctx.ns}/daemonsets/alloy")
    except RequestFailed as exc:
        ctx.fail(check, f"cannot be read: {exc.message}", f"DaemonSet {ctx.ns}/alloy", "check HelmRelease alloy (flux-helmreleases above)")
        return
    status = ds.get("status") or {}
    desired, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    if desired == ready == count:
        ctx.passed(check, f"{ready} of {count} nodes ready")
    else:
        ctx.fail(check, f"{ready} ready of {desired} desired, on a cluster of {count} node(s): "
                 + ("some nodes run no Alloy pod (taints? nodeSelector?)" if desired < count else "pods not Ready"),
                 f"DaemonSet {ctx.ns}/alloy", f"kubectl describe daemonset alloy -n {ctx.ns}")


# --- 3. Prometheus ---------------------------------------------------------------------------------


def _expected_jobs(ctx: Context) -> list[tuple[str, str, int, str]]:
    """(label, value, minimum targets, what) the Prometheus must scrape, counts from the node count."""
    n = len(ctx.nodes) or ctx.answers.cluster.node_count
    jobs = [("job", "node-exporter", n, "node-exporter on each node"), ("job", "kubelet", n, "the kubelet of each node"),
            ("job", "kube-state-metrics", 1, "kube-state-metrics"), ("container", "prometheus", 1, "Prometheus itself"),
            ("container", "alertmanager", 1, "Alertmanager")]
    if ctx.answers.apps.loki:
        jobs.append(("container", "loki", 1, "Loki"))
    if ctx.answers.apps.alloy:
        jobs.append(("container", "alloy", n, "Alloy on each node"))
    return jobs


def prometheus(ctx: Context) -> None:
    check = "prometheus-ready"
    try:
        ctx.kube.raw(ctx.service(PROMETHEUS, "/-/ready"))
    except RequestFailed as exc:
        ctx.fail(check, f"not ready: {exc.message}", f"Service {ctx.ns}/{PROMETHEUS[0]}",
                 f"kubectl logs -n {ctx.ns} prometheus-{PROMETHEUS[0]}-0")
        for other in ("scrape-targets", "rule-groups", "alertmanager-discovered"):
            ctx.skip(other, "Prometheus is not ready (prometheus-ready above)")
        return
    ctx.passed(check, "through the API server's service proxy")
    _targets(ctx)
    _rules(ctx)
    _alertmanagers(ctx)


def _targets(ctx: Context) -> None:
    check = "scrape-targets"
    active = _prometheus_data(ctx, check, "/api/v1/targets?state=active", "activeTargets", "the targets")
    if active is None:
        return
    counted = []
    for label, value, minimum, what in _expected_jobs(ctx):
        mine = [t for t in active if (t.get("labels") or {}).get(label) == value]
        up = [t for t in mine if t.get("health") == "up"]
        if len(mine) < minimum:
            ctx.fail(check, f"{label}={value} ({what}): {len(mine)} target(s), expected at least {minimum}",
                     remedy="check its ServiceMonitor and pods (kubectl get servicemonitors,pods -n " + ctx.ns + ")")
        counted.append(f"{value} {len(up)}/{len(mine)}")
    for target in active:
        if target.get("health") != "up":
            labels = target.get("labels") or {}
            ctx.fail(check, f"job {labels.get('job', '?')} target {labels.get('instance', target.get('scrapeUrl', '?'))} is "
                     f"{target.get('health', 'unknown')}: {target.get('lastError') or 'not scraped yet'}",
                     remedy="check that pod and its port (kubectl get pods -n " + str(labels.get("namespace", ctx.ns)) + ")")
    ctx.passed(check, f"{len(active)} targets up: {', '.join(counted)}" if not ctx.failed(check) else None)


def _prometheus_data(ctx: Context, check: str, path: str, key: str, what: str) -> Any:
    """``data[key]`` of a Prometheus API answer through the service proxy; None (and ``check`` failed) when it
    cannot be read."""
    try:
        return ctx.kube.get_json(ctx.service(PROMETHEUS, path))["data"][key]
    except (RequestFailed, KeyError, TypeError) as exc:
        ctx.fail(check, f"{what} cannot be read: {getattr(exc, 'message', exc)}")
        return None


def _rules(ctx: Context) -> None:
    check = "rule-groups"
    groups = _prometheus_data(ctx, check, "/api/v1/rules", "groups", "the rules")
    if groups is None:
        return
    names = {g.get("name") for g in groups}
    if ctx.answers.apps.kube_prometheus_stack and "observability.self-monitoring" not in names:
        ctx.fail(check, "the rule group observability.self-monitoring (obs-wizard's alerts) is not loaded",
                 remedy="check HelmRelease kube-prometheus-stack and its PrometheusRules")
    rules = 0
    for group in groups:
        for rule in group.get("rules") or ():
            rules += 1
            if rule.get("health") not in ("ok", "unknown"):
                ctx.fail(check, f"rule {rule.get('name')} in group {group.get('name')} is {rule.get('health')}: "
                         f"{rule.get('lastError') or 'no error given'}", remedy="fix its expression in the PrometheusRule")
    ctx.passed(check, f"{len(groups)} groups, {rules} rules healthy" if not ctx.failed(check) else None)


def _alertmanagers(ctx: Context) -> None:
    check = "alertmanager-discovered"
    active = _prometheus_data(ctx, check, "/api/v1/alertmanagers", "activeAlertmanagers", "the discovered Alertmanagers")
    if active is None:
        return
    if not active:
        ctx.fail(check, "Prometheus has discovered no Alertmanager: its alerts go nowhere",
                 remedy="check the Alertmanager pod and Service (pods above)")
    else:
        ctx.passed(check, f"{len(active)} active")


ALLOY_WINDOW = "10m"  # how far back Alloy's dropped entries and failed pushes count


def _query(ctx: Context, check: str, promql: str, what: str) -> list[dict[str, Any]] | None:
    """An instant PromQL query through the service proxy: its vector, or None (and ``check`` failed)."""
    return _prometheus_data(ctx, check, "/api/v1/query?" + urllib.parse.urlencode({"query": promql}), "result", what)


def alloy_writes(ctx: Context, window: str = ALLOY_WINDOW) -> None:
    """Alloy not dropping or failing its writes to Loki: its own loki.write counters, as Prometheus scrapes them
    from every node (``loki_write_dropped_entries_total``: entries given up on after every retry;
    ``loki_write_request_duration_seconds_count`` with a status other than 2xx: pushes Loki refused)."""
    check = "alloy-writes"
    if ctx.failed("prometheus-ready"):
        ctx.skip(check, "Prometheus is not ready (prometheus-ready above)")
        return
    scraped = _query(ctx, check, f'count(up{{namespace="{ctx.ns}",container="alloy"}} == 1)', "the Alloy targets")
    if scraped is None:
        return
    targets = int(float(scraped[0]["value"][1])) if scraped else 0
    if not targets:
        ctx.skip(check, "Prometheus scrapes no Alloy target that is up, so its write counters cannot be read "
                        "(scrape-targets above)", f"kubectl get pods -n {ctx.ns} -l app.kubernetes.io/name=alloy")
        return
    selector = f'namespace="{ctx.ns}",container="alloy"'
    dropped = _query(ctx, check, f"sum by (instance, reason) (increase(loki_write_dropped_entries_total{{{selector}}}[{window}])) > 0",
                     "Alloy's dropped entries")
    refused = _query(ctx, check, "sum by (instance, status_code) (increase(loki_write_request_duration_seconds_count"
                                 f'{{{selector},status_code!~"2.."}}[{window}])) > 0', "Alloy's pushes to Loki")
    if dropped is None or refused is None:
        return
    logs = f"kubectl logs -n {ctx.ns} -l app.kubernetes.io/name=alloy --tail=50 (look for loki.write errors)"
    for series in dropped:
        labels = series.get("metric") or {}
        ctx.fail(check, f"Alloy at {labels.get('instance', '?')} dropped about {float(series['value'][1]):.0f} log "
                 f"entries in the last {window} (reason {labels.get('reason') or 'not given'}): they never reached Loki",
                 f"DaemonSet {ctx.ns}/alloy", logs)
    for series in refused:
        labels = series.get("metric") or {}
        ctx.fail(check, f"Alloy at {labels.get('instance', '?')} had about {float(series['value'][1]):.0f} push(es) to "
                 f"Loki answered {labels.get('status_code', '?')} in the last {window}", f"DaemonSet {ctx.ns}/alloy", logs)
    ctx.passed(check, f"no entry dropped and no push refused in the last {window} ({targets} Alloy targets)"
               if not ctx.failed(check) else None)


# --- 4. Alertmanager and the test alert -------------------------------------------------------------


def alertmanager_config(ctx: Context) -> None:
    check = "alertmanager-config"
    try:
        status = ctx.kube.get_json(ctx.service(ALERTMANAGER, "/api/v2/status"))
        config = yaml.safe_load(status["config"]["original"]) or {}
    except (RequestFailed, KeyError, TypeError, yaml.YAMLError) as exc:
        ctx.fail(check, f"the loaded config cannot be read: {getattr(exc, 'message', exc)}", f"Service {ctx.ns}/{ALERTMANAGER[0]}")
        return
    receivers = {r.get("name"): r for r in config.get("receivers") or ()}
    wanted = [("slack", "slack_configs")]
    if ctx.answers.secrets.heartbeat_item:
        wanted.append(("heartbeat", "webhook_configs"))
    for name, kind in wanted:
        if not (receivers.get(name) or {}).get(kind):
            ctx.fail(check, f"the loaded config has no receiver {name} with {kind}",
                     remedy="check HelmRelease kube-prometheus-stack's alertmanager.config and the operator's logs")
    ctx.passed(check, f"receivers {', '.join(n for n, _ in wanted)} loaded" if not ctx.failed(check) else None)


def heartbeat(ctx: Context, before: dict[str, float] | None, since: float) -> None:
    """The Watchdog firing in Alertmanager and the heartbeat webhook delivering, its failures not rising
    during this run (``before``: the webhook counters when the run began)."""
    check = "heartbeat"
    if not ctx.answers.secrets.heartbeat_item:
        ctx.skip(check, "no heartbeat is configured (secrets.heartbeat_item): a dead Prometheus or Alertmanager is silent",
                 "set the Heartbeat URL item (quickstart.md, \"Heartbeat\")")
        return
    if ctx.failed("alertmanager-config"):
        ctx.skip(check, "the Alertmanager config is not loaded (alertmanager-config above)")
        return
    query = urllib.parse.urlencode({"filter": 'alertname="Watchdog"', "active": "true", "silenced": "false", "inhibited": "false"})
    try:
        firing = ctx.kube.get_json(ctx.service(ALERTMANAGER, f"/api/v2/alerts?{query}"))
        now = _counters(ctx, "webhook")
    except RequestFailed as exc:
        ctx.fail(check, f"Alertmanager cannot be asked: {exc.message}", f"Service {ctx.ns}/{ALERTMANAGER[0]}")
        return
    if not firing:
        ctx.fail(check, "the Watchdog alert is not firing in Alertmanager: the heartbeat has nothing to send",
                 remedy="check the chart's Watchdog rule (defaultRules.rules.general) and alertmanager-discovered above")
    total = now.get("alertmanager_notification_requests_total", 0)
    failed_total = now.get("alertmanager_notification_requests_failed_total", 0)
    base = before or {}
    sent = total - base.get("alertmanager_notification_requests_total", total)
    failed = failed_total - base.get("alertmanager_notification_requests_failed_total", failed_total)
    window = time.monotonic() - since
    if failed > 0:
        ctx.fail(check, f"the heartbeat webhook failed {failed:.0f} of {sent:.0f} request(s) during this run's {window:.0f} s "
                        "(alertmanager_notification_requests_failed_total{integration=\"webhook\"} rose)",
                 remedy=f"kubectl logs -n {ctx.ns} alertmanager-{ALERTMANAGER[0]}-0; check the heartbeat URL item in "
                        "1Password and the heartbeat service")
    elif total - failed_total < 1:
        ctx.fail(check, "no heartbeat delivered since Alertmanager started",
                 remedy=f"wait one heartbeat period ({ctx.answers.alerting.heartbeat_period}) and run again, or use --wait")
    if ctx.failed(check):
        return
    if sent > 0:
        ctx.passed(check, f"Watchdog firing; {sent:.0f} ping(s) delivered during this run's {window:.0f} s, none failed")
    else:
        ctx.passed(check, f"Watchdog firing; {total - failed_total:.0f} ping(s) delivered since Alertmanager started, none "
                          f"failed during this run's {window:.0f} s (no ping fell in it: the period is "
                          f"{ctx.answers.alerting.heartbeat_period})")


def webhook_counters(ctx: Context) -> dict[str, float] | None:
    try:
        return _counters(ctx, "webhook")
    except RequestFailed:
        return None


def _counters(ctx: Context, integration: str) -> dict[str, float]:
    text = ctx.kube.raw(ctx.service(ALERTMANAGER, "/metrics")).decode(errors="replace")
    sums: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"^(alertmanager_notification(?:s|_requests)(?:_failed)?_total)\{([^}]*)\}\s+(\S+)", line)
        if match and f'integration="{integration}"' in match[2]:
            sums[match[1]] = sums.get(match[1], 0.0) + float(match[3])
    return sums


def test_alert(ctx: Context, enabled: bool, poll: float = 0.5) -> None:
    check = "test-alert"
    if not enabled:
        ctx.skip(check, "--no-test-alert: no test alert was sent, the alert -> Slack delivery is not measured")
        return
    if ctx.failed("alertmanager-config"):
        ctx.skip(check, "the Alertmanager config is not loaded (alertmanager-config above)")
        return
    group_wait = units.parse_duration(ctx.answers.alerting.group_wait)
    run_id = secrets.token_hex(4)
    name = f"{TEST_ALERT_PREFIX}{run_id}"  # its own group: never held back by group_interval behind an earlier test
    now = datetime.now(timezone.utc)
    alert = [{
        "labels": {"alertname": name, "severity": "info", "obs_wizard": "verify-test"},
        "annotations": {"summary": f"obs-wizard verify test alert {run_id}: the alert path to Slack works; no action needed.",
                        "description": f"obs-wizard verify test alert {run_id}: sent by `obs-wizard verify` to measure alert -> "
                                       "Slack delivery; no action needed, it resolves by itself."},
        "startsAt": now.isoformat(), "endsAt": (now + timedelta(seconds=group_wait + 120)).isoformat(),
    }]
    try:
        before = _counters(ctx, "slack")
        started = time.monotonic()
        code, _, body = ctx.kube.request("POST", ctx.service(ALERTMANAGER, "/api/v2/alerts"), json.dumps(alert).encode(),
                                         {"Content-Type": "application/json"})
    except RequestFailed as exc:
        ctx.fail(check, f"the test alert could not be posted: {exc.message}", f"Service {ctx.ns}/{ALERTMANAGER[0]}")
        return
    if code != 200:
        ctx.fail(check, f"Alertmanager refused the test alert: HTTP {code} {body[:200].decode(errors='replace')}")
        return
    budget = min(group_wait + 60.0, ctx.kube.left() - 1)
    failed_requests, first_failure = 0.0, None
    while time.monotonic() - started < budget:
        try:
            now_counts = _counters(ctx, "slack")
        except RequestFailed:
            now_counts = before
        sent = now_counts.get("alertmanager_notification_requests_total", 0) - before.get("alertmanager_notification_requests_total", 0)
        failed_requests = (now_counts.get("alertmanager_notification_requests_failed_total", 0)
                           - before.get("alertmanager_notification_requests_failed_total", 0))
        if failed_requests >= 1 and first_failure is None:
            first_failure = time.monotonic()
        if sent - failed_requests < 1 and first_failure is not None and time.monotonic() - first_failure > RETRY_GRACE:
            break  # refused, and Alertmanager's retries have not got through since
        if sent - failed_requests >= 1:
            took = time.monotonic() - started
            ctx.targets["test_alert_seconds"] = {"seconds": round(took, 1)}
            ctx.passed(check, f"test alert {name} (severity info) delivered to Slack in {took:.1f} s "
                              f"(group_wait {ctx.answers.alerting.group_wait} included)")
            return
        time.sleep(poll)
    if failed_requests >= 1:
        ctx.fail(check, f"test alert {name} NOT delivered: Slack refused {failed_requests:.0f} request(s) in "
                        f"{time.monotonic() - started:.0f} s "
                        "(alertmanager_notification_requests_failed_total{integration=\"slack\"} rose)",
                 remedy=f"kubectl logs -n {ctx.ns} alertmanager-{ALERTMANAGER[0]}-0 (the Slack webhook URL in 1Password, "
                        "the channel, Slack's status)")
    else:
        ctx.fail(check, f"test alert {name} NOT delivered within {budget:.0f} s: Alertmanager made no Slack request",
                 remedy="check the route for severity=info alerts and the inhibit rules in alertmanager.config")


# --- 5. Loki and the canary line ----------------------------------------------------------------------


def loki(ctx: Context, poll: float = 0.5) -> None:
    check = "loki-ready"
    try:
        ctx.kube.raw(ctx.service(LOKI, "/ready"))
    except RequestFailed as exc:
        ctx.fail(check, f"not ready: {exc.message}", f"Service {ctx.ns}/{LOKI[0]}", f"kubectl logs -n {ctx.ns} loki-0")
        ctx.skip("log-search", "Loki is not ready (loki-ready above)")
        return
    ctx.passed(check, "through the API server's service proxy")
    check = "log-search"
    run_id = secrets.token_hex(6)
    line = f"obs-wizard verify canary {run_id}"
    push = {"streams": [{"stream": {"job": CANARY_JOB, "namespace": ctx.ns},
                         "values": [[str(time.time_ns()), line]]}]}
    started = time.monotonic()
    try:
        code, _, body = ctx.kube.request("POST", ctx.service(LOKI, "/loki/api/v1/push"), json.dumps(push).encode(),
                                         {"Content-Type": "application/json"})
    except RequestFailed as exc:
        ctx.fail(check, f"the canary line could not be pushed: {exc.message}")
        return
    if code not in (200, 204):
        ctx.fail(check, f"Loki refused the canary line: HTTP {code} {body[:200].decode(errors='replace')}")
        return
    query = urllib.parse.urlencode({"query": f'{{job="{CANARY_JOB}"}} |= "{run_id}"',
                                    "start": str(time.time_ns() - 300 * 10**9), "limit": "5", "direction": "backward"})
    budget = min(LOG_SEARCH_TARGET * 2, ctx.kube.left() - 1)
    last_error = None
    while time.monotonic() - started < budget:
        try:
            result = ctx.kube.get_json(ctx.service(LOKI, f"/loki/api/v1/query_range?{query}"))["data"]["result"]
            if any(line in value for stream in result for _, value in stream.get("values") or ()):
                took = time.monotonic() - started
                ctx.targets["log_search_seconds"] = {"seconds": round(took, 1)}
                ctx.passed(check, f"canary line pushed and found again by a targeted query in {took:.1f} s")
                return
        except (RequestFailed, KeyError, TypeError) as exc:
            last_error = getattr(exc, "message", str(exc))
        time.sleep(poll)
    ctx.fail(check, f"the canary line was not found within {budget:.0f} s" + (f" (last error: {last_error})" if last_error else ""),
             remedy=f"kubectl logs -n {ctx.ns} loki-0")


def node_logs(ctx: Context, minutes: int = 5) -> None:
    """Log lines from every node (Alloy labels each line with its node) in the last ``minutes``."""
    check = "node-logs"
    if not ctx.nodes:
        ctx.skip(check, "the nodes are not known (node-count above)")
        return
    start = str(time.time_ns() - minutes * 60 * 10**9)
    silent, shipping = [], []
    for node in ctx.nodes:
        query = urllib.parse.urlencode({"query": f'{{node="{node}"}}', "start": start, "limit": "1", "direction": "backward"})
        try:
            result = ctx.kube.get_json(ctx.service(LOKI, f"/loki/api/v1/query_range?{query}"))["data"]["result"]
        except (RequestFailed, KeyError, TypeError) as exc:
            ctx.fail(check, f"the logs of node {node} cannot be queried: {getattr(exc, 'message', exc)}")
            continue
        (shipping if any(stream.get("values") for stream in result) else silent).append(node)
    for node in silent:
        ctx.fail(check, f"no log line from node {node} in the last {minutes} minutes", f"Node {node}",
                 f"check the Alloy pod on {node}: kubectl get pods -n {ctx.ns} -o wide -l app.kubernetes.io/name=alloy, "
                 "then its logs")
    ctx.passed(check, f"lines from all {len(shipping)} nodes in the last {minutes} minutes" if not silent and shipping else None)


# --- 6. Grafana ---------------------------------------------------------------------------------------


def grafana(ctx: Context) -> None:
    check = "grafana"
    try:
        health = ctx.kube.get_json(ctx.service(GRAFANA, "/api/health"))
    except RequestFailed as exc:
        ctx.fail(check, f"/api/health does not answer: {exc.message}", f"Service {ctx.ns}/{GRAFANA[0]}",
                 f"kubectl logs -n {ctx.ns} deploy/{GRAFANA[0]}")
        return
    if health.get("database") != "ok":
        ctx.fail(check, f"unhealthy: database {health.get('database')!r}", f"Service {ctx.ns}/{GRAFANA[0]}")
        return
    found = helmrelease_values(ctx.files, "kube-prometheus-stack")
    admin = ((found[1] if found else {}).get("grafana") or {}).get("admin") or {}
    secret_name, user_key, password_key = admin.get("existingSecret"), admin.get("userKey"), admin.get("passwordKey")
    if not (secret_name and user_key and password_key):
        ctx.skip(check, "healthy; datasources not checked: the render names no admin Secret")
        return
    try:
        data = ctx.kube.get_json(f"/api/v1/namespaces/{ctx.ns}/secrets/{secret_name}").get("data") or {}
        user = base64.b64decode(data[user_key]).decode()
        password = base64.b64decode(data[password_key]).decode()
    except (RequestFailed, KeyError, ValueError) as exc:
        why = getattr(exc, "message", None) or f"key {exc} missing"
        ctx.skip(check, f"healthy; datasources not checked: Secret {ctx.ns}/{secret_name} cannot be read ({why})",
                 remedy="check its ExternalSecret (kubectl get externalsecrets -n " + ctx.ns + ")")
        return
    try:
        code, headers, _ = ctx.kube.request("POST", ctx.service(GRAFANA, "/login"),
                                            json.dumps({"user": user, "password": password}).encode(),
                                            {"Content-Type": "application/json"})
        cookies = "; ".join(c.split(";", 1)[0] for c in headers.get("set-cookie", []))
        if code != 200 or not cookies:
            ctx.fail(check, f"the admin login from Secret {ctx.ns}/{secret_name} was refused (HTTP {code})",
                     remedy="check the Grafana admin item in 1Password and its ExternalSecret")
            return
        code, _, body = ctx.kube.request("GET", ctx.service(GRAFANA, "/api/datasources"), headers={"Cookie": cookies})
        sources = json.loads(body) if code == 200 else []
        wanted = ["prometheus"] + (["loki"] if ctx.answers.apps.loki else [])
        answering = []
        for kind in wanted:
            mine = [s for s in sources if s.get("type") == kind]
            if not mine:
                ctx.fail(check, f"no {kind} datasource", remedy="check HelmRelease kube-prometheus-stack's grafana values")
                continue
            for source in mine:
                code, _, body = ctx.kube.request("GET", ctx.service(GRAFANA, f"/api/datasources/uid/{source.get('uid')}/health"),
                                                 headers={"Cookie": cookies})
                said = _message(body)
                if code == 200:
                    answering.append(source.get("name", kind))
                else:
                    ctx.fail(check, f"datasource {source.get('name')} ({kind}) does not answer: HTTP {code} {said}",
                             remedy=f"check its URL {source.get('url')}")
    except RequestFailed as exc:
        ctx.fail(check, f"the datasources cannot be checked: {exc.message}")
        return
    ctx.passed(check, f"healthy; datasources answering: {', '.join(answering)}" if not ctx.failed(check) else None)


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", ""))[:200]
    except (ValueError, AttributeError):
        return body[:200].decode(errors="replace")


# --- 7. the targets ---------------------------------------------------------------------------------


def targets(ctx: Context) -> list[dict[str, Any]]:
    """The plan's two targets beside what this run measured."""
    budget = sizing.alert_latency(ctx.answers)
    detection = budget.total - budget.group_wait
    parts = [(n, v) for n, v in budget.parts() if n != "group_wait"]
    result = []
    measured = ctx.targets.get("test_alert_seconds")
    alert: dict[str, Any] = {"name": "alert -> Slack", "target_seconds": sizing.LATENCY_TARGET_SECONDS,
                             "detection_budget_seconds": detection,
                             "detection_parts": {n: v for n, v in parts}}
    if measured:
        total = measured["seconds"] + detection
        alert.update(measured_delivery_seconds=measured["seconds"], total_seconds=round(total, 1),
                     within=total <= sizing.LATENCY_TARGET_SECONDS)
    result.append(alert)
    search = ctx.targets.get("log_search_seconds")
    log: dict[str, Any] = {"name": "targeted log search", "target_seconds": LOG_SEARCH_TARGET}
    if search:
        log.update(measured_seconds=search["seconds"], within=search["seconds"] <= LOG_SEARCH_TARGET)
    result.append(log)
    return result


def target_lines(ctx: Context) -> list[str]:
    lines = []
    for target in targets(ctx):
        plan = units.format_seconds(target["target_seconds"])
        if target["name"] == "alert -> Slack":
            parts = " + ".join(f"{units.format_seconds(v)} {n}" for n, v in target["detection_parts"].items())
            if "total_seconds" in target:
                verdict = "within" if target["within"] else "OVER"
                lines.append(f"  alert -> Slack: {target['total_seconds']:.1f} s = {target['measured_delivery_seconds']:.1f} s "
                             f"measured delivery (test alert -> Slack, group_wait included) + "
                             f"{units.format_seconds(target['detection_budget_seconds'])} detection budget ({parts}); "
                             f"the plan's target {plan}: {verdict}")
            else:
                lines.append(f"  alert -> Slack: not measured (no test alert delivered); detection budget "
                             f"{units.format_seconds(target['detection_budget_seconds'])} ({parts}); the plan's target {plan}")
        else:
            if "measured_seconds" in target:
                verdict = "within" if target["within"] else "OVER"
                lines.append(f"  targeted log search: {target['measured_seconds']:.1f} s (canary line pushed -> found); "
                             f"the plan's target {plan}: {verdict}")
            else:
                lines.append(f"  targeted log search: not measured (the canary line was not found); the plan's target {plan}")
    return lines

