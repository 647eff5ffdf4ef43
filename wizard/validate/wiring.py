"""Wiring checks: do the objects the charts render (and the repo's own manifests) connect?

Each check looks at the rendered objects generically (by kind, selector, reference), not at
particular templates, and each finding names both ends of the broken wire, e.g.
``HTTPRoute/grafana backendRef kube-prometheus-stack-grafana:81 -> Service/kube-prometheus-stack-grafana
(HelmRelease/kube-prometheus-stack) has no port 81 (ports: 80 http-web)``.

When an end is missing only because part of the render is missing (a release not rendered, a
subchart absent from the chart source), the finding is "skipped" with that reason, never an error
and never a pass.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlsplit

from wizard.answers import units
from wizard.answers.model import Answers
from wizard.base import yamlio
from wizard.render.extract import label_selector_matches
from wizard.validate.findings import Finding, Report
from wizard.validate.helm_render import Rendered, namespace_of

CHECKS = ("wiring-httproute", "wiring-loki-url", "wiring-alertmanager-files", "wiring-secret-refs", "wiring-storage",
          "wiring-monitors", "wiring-rule-selector", "wiring-alloy-env")

#: Services a ServiceMonitor may select that the cluster or the operator creates, not a chart.
EXTERNAL_SERVICES = (
    ("default", {"component": "apiserver", "provider": "kubernetes"}, "the API server's own Service default/kubernetes"),
    ("kube-system", {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"},
     "the kubelet Service the Prometheus Operator maintains (kubeletService)"),
)

ALERTMANAGER_SECRETS = "/etc/alertmanager/secrets/"
ALERTMANAGER_CONFIGMAPS = "/etc/alertmanager/configmaps/"
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")


@dataclass
class Obj:
    doc: dict[str, Any]
    origin: str  # "HelmRelease/loki" or the repo file
    chart: str | None = None  # the chart that rendered it

    @property
    def kind(self) -> str:
        return str(self.doc.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.doc.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.doc.get("metadata") or {}).get("namespace", ""))

    @property
    def labels(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in ((self.doc.get("metadata") or {}).get("labels") or {}).items()}

    @property
    def spec(self) -> dict[str, Any]:
        return self.doc.get("spec") or {}

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name} ({self.origin})"


class World:
    """Every object Flux and helm-controller would apply, plus what is known to be missing."""

    def __init__(self, files: dict[str, str], rendered: list[Rendered], not_rendered: list[str]):
        self.objects: list[Obj] = []
        labels_by_dir = _common_labels(files)
        for path, text in files.items():
            if not path.endswith((".yaml", ".yml")):
                continue
            try:
                docs = yamlio.load_all(text)
            except yamlio.YAMLError:
                continue
            for doc in docs:
                if not isinstance(doc, dict) or not doc.get("kind") or str(doc.get("apiVersion", "")).startswith(
                        ("kustomize.config.k8s.io", "kustomize.toolkit.fluxcd.io")):
                    continue
                doc = {**doc, "metadata": {**(doc.get("metadata") or {})}}
                doc["metadata"]["namespace"] = namespace_of(path, files, doc)
                extra = _labels_for(path, labels_by_dir)
                if extra:
                    doc["metadata"]["labels"] = {**extra, **(doc["metadata"].get("labels") or {})}
                self.objects.append(Obj(doc, path))
        for result in rendered:
            for doc in result.objects:
                self.objects.append(Obj(doc, result.release.label, result.release.chart))
        gaps = [f"{label} was not rendered" for label in not_rendered]
        gaps += [f"{r.release.label} lacks subcharts {', '.join(s.name for s in r.missing)}" for r in rendered if r.missing]
        self.gaps = gaps

    def of(self, kind: str, namespace: str | None = None) -> Iterator[Obj]:
        return (o for o in self.objects if o.kind == kind and (namespace is None or o.namespace == namespace))

    def get(self, kind: str, name: str, namespace: str) -> Obj | None:
        return next((o for o in self.of(kind, namespace) if o.name == name), None)

    def missing(self, check: str, message: str, **where: str) -> Finding:
        """A missing end: an error, unless the render is known to be incomplete."""
        if self.gaps:
            return Finding("skipped", check, f"{message}; not decided: {'; '.join(self.gaps)}", **where)
        return Finding("error", check, message, **where)


def _common_labels(files: dict[str, str]) -> dict[str, dict[str, str]]:
    """Directory -> labels a Flux Kustomization's commonMetadata puts on every object it applies."""
    found = {}
    for text in files.values():
        if "commonMetadata" not in text:
            continue
        try:
            docs = yamlio.load_all(text)
        except yamlio.YAMLError:
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "Kustomization":
                spec = doc.get("spec") or {}
                labels = (spec.get("commonMetadata") or {}).get("labels") or {}
                if labels and spec.get("path"):
                    found[str(spec["path"]).removeprefix("./").rstrip("/")] = {str(k): str(v) for k, v in labels.items()}
    return found


def _labels_for(path: str, labels_by_dir: dict[str, dict[str, str]]) -> dict[str, str]:
    return next((labels for directory, labels in labels_by_dir.items() if path.startswith(directory + "/")), {})


def check_wiring(files: dict[str, str], rendered: list[Rendered], not_rendered: list[str], answers: Answers | None) -> Report:
    report = Report(checks_run=list(CHECKS))
    world = World(files, rendered, not_rendered)
    for check in (_httproutes, _loki_urls, _alertmanager_files, _secret_refs, _monitors, _rule_selector, _alloy_env):
        for finding in check(world):
            report.add(finding)
    if answers is not None:
        for finding in _storage(world, answers):
            report.add(finding)
    return report


# --- HTTPRoute -> Service ------------------------------------------------------------------------

def _ports(service: Obj) -> list[dict[str, Any]]:
    return [p for p in service.spec.get("ports") or [] if isinstance(p, dict)]


def _port_list(service: Obj) -> str:
    return ", ".join(f"{p.get('port')} {p.get('name', '')}".strip() for p in _ports(service)) or "none"


def _httproutes(world: World) -> Iterator[Finding]:
    check = "wiring-httproute"
    for route in world.of("HTTPRoute"):
        for i, rule in enumerate(route.spec.get("rules") or []):
            for j, ref in enumerate((rule or {}).get("backendRefs") or []):
                if ref.get("kind", "Service") != "Service" or ref.get("group", "") not in ("", "core"):
                    continue
                namespace = ref.get("namespace") or route.namespace
                end = f"{route.label} backendRef {ref.get('name')}:{ref.get('port')}"
                where = {"file": route.origin if "/" in route.origin else None, "document": f"HTTPRoute/{route.name}",
                         "path": f"spec.rules[{i}].backendRefs[{j}]"}
                service = world.get("Service", str(ref.get("name")), namespace)
                if service is None:
                    others = ", ".join(sorted(s.name for s in world.of("Service", namespace))) or "none"
                    yield world.missing(check, f"{end} -> no Service {ref.get('name')} in namespace {namespace} in the render "
                                               f"(Services there: {others})", **where)
                elif ref.get("port") not in [p.get("port") for p in _ports(service)]:
                    yield Finding("error", check, f"{end} -> {service.label} has no port {ref.get('port')} "
                                                  f"(ports: {_port_list(service)})", **where)


# --- Grafana datasource and Alloy loki.write -> the Loki Service ---------------------------------

def _datasources(world: World) -> Iterator[tuple[Obj, str, str]]:
    """(ConfigMap, datasource name, url) of every Loki datasource Grafana provisions."""
    for cm in world.of("ConfigMap"):
        for key, text in (cm.doc.get("data") or {}).items():
            if not isinstance(text, str) or "datasources" not in text:
                continue
            try:
                parsed = yamlio.load(text)
            except yamlio.YAMLError:
                continue
            for source in (parsed or {}).get("datasources") or [] if isinstance(parsed, dict) else []:
                if isinstance(source, dict) and source.get("type") == "loki" and source.get("url"):
                    yield cm, f"Grafana datasource {source.get('name')!r} ({key})", str(source["url"])


_LOKI_WRITE = re.compile(r'loki\.write\s+"([^"]+)"\s*\{')
_URL_ATTR = re.compile(r'\burl\s*=\s*"([^"]+)"')


def _block(text: str, start: int) -> str:
    """The text of the ``{...}`` block opening at ``start`` (braces in strings are rare in Alloy configs)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return text[start:]


def _alloy_configs(world: World) -> Iterator[tuple[Obj, str, str]]:
    for cm in world.of("ConfigMap"):
        for key, text in (cm.doc.get("data") or {}).items():
            if isinstance(text, str) and key.endswith(".alloy"):
                yield cm, key, text


def _loki_writes(world: World) -> Iterator[tuple[Obj, str, str]]:
    for cm, key, text in _alloy_configs(world):
        for match in _LOKI_WRITE.finditer(text):
            for url in _URL_ATTR.findall(_block(text, match.end() - 1)):
                yield cm, f"Alloy loki.write {match.group(1)!r} endpoint ({key})", url


def _service_for_url(world: World, url: str, namespace: str) -> tuple[str, str, int] | str:
    """(service, namespace, port) a cluster URL resolves to, or why it does not name a Service."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    labels = host.split(".")
    if len(labels) == 1:
        service, ns = labels[0], namespace
    elif len(labels) == 2 or (len(labels) >= 3 and labels[2] == "svc"):
        service, ns = labels[0], labels[1]
    else:
        return f"{host} is not a cluster Service address (<service>.<namespace>[.svc.cluster.local])"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"{url} has an invalid port"
    return service, ns, port


def _loki_urls(world: World) -> Iterator[Finding]:
    check = "wiring-loki-url"
    for cm, what, url in [*_datasources(world), *_loki_writes(world)]:
        end = f"{what} {url} in {cm.label}"
        target = _service_for_url(world, url, cm.namespace)
        if isinstance(target, str):
            yield Finding("error", check, f"{end}: {target}", document=f"ConfigMap/{cm.name}")
            continue
        name, namespace, port = target
        service = world.get("Service", name, namespace)
        if service is None:
            loki = ", ".join(f"{s.name}.{s.namespace}" for s in world.of("Service") if s.chart == "loki") or "none rendered"
            yield world.missing(check, f"{end} -> no Service {name} in namespace {namespace} in the render "
                                       f"(Loki's Services: {loki})", document=f"ConfigMap/{cm.name}")
        elif service.chart != "loki":
            yield Finding("error", check, f"{end} -> {service.label} is not a Service of the Loki chart",
                          document=f"ConfigMap/{cm.name}")
        else:
            match = [p for p in _ports(service) if p.get("port") == port]
            if not match:
                yield Finding("error", check, f"{end} -> {service.label} has no port {port} (ports: {_port_list(service)})",
                              document=f"ConfigMap/{cm.name}")
            elif "http" not in str(match[0].get("name", "http")):
                yield Finding("error", check, f"{end} -> {service.label} port {port} is {match[0].get('name')}, not Loki's "
                                              f"HTTP API (ports: {_port_list(service)})", document=f"ConfigMap/{cm.name}")


# --- Alertmanager *_file -> mounted Secret -> ExternalSecret key ---------------------------------

def _secret_data(obj: Obj) -> dict[str, str]:
    data = {str(k): str(v) for k, v in (obj.doc.get("stringData") or {}).items()}
    for key, value in (obj.doc.get("data") or {}).items():
        try:
            data[str(key)] = base64.b64decode(str(value)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            data[str(key)] = ""
    return data


def _file_paths(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if str(key).endswith("_file") and isinstance(value, str):
                yield here, value
            else:
                yield from _file_paths(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            name = value.get("name") if isinstance(value, dict) else None
            yield from _file_paths(value, f"{path}[{name if isinstance(name, str) else i}]")


def secret_keys(world: World, name: str, namespace: str) -> tuple[Obj, set[str] | None] | None:
    """The object that makes Secret ``name`` and its keys (None: not knowable), or None when nothing does."""
    secret = world.get("Secret", name, namespace)
    if secret is not None:
        return secret, set(_secret_data(secret))
    for es in world.of("ExternalSecret", namespace):
        target = es.spec.get("target") or {}
        if (target.get("name") or es.name) != name:
            continue
        template = (target.get("template") or {}).get("data")
        if template:
            return es, {str(k) for k in template}
        data = [str(d.get("secretKey")) for d in es.spec.get("data") or [] if isinstance(d, dict) and d.get("secretKey")]
        return es, (set(data) if data and not es.spec.get("dataFrom") else None)
    return None


def _alertmanager_files(world: World) -> Iterator[Finding]:
    check = "wiring-alertmanager-files"
    for am in world.of("Alertmanager"):
        config_name = am.spec.get("configSecret") or f"alertmanager-{am.name}"
        config_secret = world.get("Secret", config_name, am.namespace)
        if config_secret is None:
            continue  # configured elsewhere (AlertmanagerConfig); nothing rendered to read
        text = _secret_data(config_secret).get("alertmanager.yaml", "")
        try:
            config = yamlio.load(text) or {}
        except yamlio.YAMLError:
            continue  # amtool reports a broken config
        mounted = [str(s) for s in am.spec.get("secrets") or []]
        configmaps = [str(c) for c in am.spec.get("configMaps") or []]
        for where, value in _file_paths(config, ""):
            end = f"Secret/{config_name} alertmanager.yaml {where}: {value}"
            if value.startswith(ALERTMANAGER_CONFIGMAPS):
                name = value[len(ALERTMANAGER_CONFIGMAPS):].split("/", 1)[0]
                if name not in configmaps:
                    yield Finding("error", check, f"{end} -> {am.label} spec.configMaps {configmaps} does not list {name}")
                continue
            if not value.startswith(ALERTMANAGER_SECRETS) or value.count("/") < 5:
                yield Finding("error", check, f"{end} -> no file {am.label} mounts there (the operator mounts each "
                                              f"spec.secrets entry at {ALERTMANAGER_SECRETS}NAME/)")
                continue
            name, key = value[len(ALERTMANAGER_SECRETS):].split("/", 1)
            if name not in mounted:
                yield Finding("error", check, f"{end} -> {am.label} spec.secrets {mounted} does not list {name}, "
                                              "so nothing is mounted there")
                continue
            maker = secret_keys(world, name, am.namespace)
            if maker is None:
                yield world.missing(check, f"{end} -> no Secret or ExternalSecret target {name} in namespace {am.namespace}")
            elif maker[1] is not None and key not in maker[1]:
                yield Finding("error", check, f"{end} -> {maker[0].label} makes Secret {name} with keys "
                                              f"{', '.join(sorted(maker[1])) or 'none'}, not {key}")


# --- workload secretKeyRef -> Secret / ExternalSecret target (Grafana's admin user) --------------

def _pod_spec(workload: Obj) -> dict[str, Any]:
    spec = workload.spec
    if workload.kind == "Pod":
        return spec
    if workload.kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def _containers(workload: Obj) -> list[dict[str, Any]]:
    pod = _pod_spec(workload)
    return [c for c in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])] if isinstance(c, dict)]


def _secret_refs(world: World) -> Iterator[Finding]:
    check = "wiring-secret-refs"
    for kind in _WORKLOADS:
        for workload in world.of(kind):
            for container in _containers(workload):
                for env in container.get("env") or []:
                    ref = ((env or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
                    if not ref.get("name") or ref.get("optional"):
                        continue
                    end = f"{workload.label} container {container.get('name')} env {env.get('name')} reads Secret/{ref['name']} key {ref.get('key')}"
                    maker = secret_keys(world, str(ref["name"]), workload.namespace)
                    if maker is None:
                        yield world.missing(check, f"{end} -> no Secret or ExternalSecret target {ref['name']} in namespace "
                                                   f"{workload.namespace}")
                    elif maker[1] is not None and ref.get("key") not in maker[1]:
                        yield Finding("error", check, f"{end} -> {maker[0].label} makes Secret {ref['name']} with keys "
                                                      f"{', '.join(sorted(maker[1])) or 'none'}, not {ref.get('key')}")


# --- storage class and sizes from the answers ----------------------------------------------------

def _claims(world: World) -> Iterator[tuple[Obj, str, dict[str, Any] | None]]:
    """(object, where, claim spec or None when the object keeps its data on no volume claim)."""
    for pvc in world.of("PersistentVolumeClaim"):
        yield pvc, "spec", pvc.spec
    for sts in world.of("StatefulSet"):
        for i, template in enumerate(sts.spec.get("volumeClaimTemplates") or []):
            yield sts, f"spec.volumeClaimTemplates[{i}] ({(template.get('metadata') or {}).get('name')})", template.get("spec") or {}
    for kind in ("Prometheus", "Alertmanager"):
        for cr in world.of(kind):
            claim = (cr.spec.get("storage") or {}).get("volumeClaimTemplate")
            yield cr, "spec.storage.volumeClaimTemplate", (claim or {}).get("spec") if claim else None


def _expected_size(obj: Obj, answers: Answers) -> tuple[str, str] | None:
    from wizard.render.render import ALERTMANAGER_PVC_SIZE

    if obj.kind == "Prometheus":
        return answers.metrics.pvc_size, "metrics.pvc_size"
    if obj.kind == "Alertmanager":
        return ALERTMANAGER_PVC_SIZE, "obs-wizard's Alertmanager volume size"
    if obj.kind == "StatefulSet" and obj.chart == "loki":
        return answers.logs.pvc_size, "logs.pvc_size"
    if obj.kind == "PersistentVolumeClaim" and obj.name.endswith("-grafana"):
        from wizard.render.render import GRAFANA_PVC_SIZE

        return GRAFANA_PVC_SIZE, "obs-wizard's Grafana volume size"
    return None


def _storage(world: World, answers: Answers) -> Iterator[Finding]:
    check = "wiring-storage"
    wanted = answers.cluster.storage_class
    for obj, where, claim in _claims(world):
        if claim is None:
            yield Finding("error", check, f"{obj.label} {where}: none, so its data lives on an emptyDir and is lost on "
                                          f"restart; the answers ask for StorageClass {wanted} (cluster.storage_class)")
            continue
        got = claim.get("storageClassName")
        if got != wanted:
            yield Finding("error", check, f"{obj.label} {where} storageClassName is {got or 'unset (the cluster default)'}, "
                                          f"but the answers ask for StorageClass {wanted} (cluster.storage_class)")
        expected = _expected_size(obj, answers)
        size = str(((claim.get("resources") or {}).get("requests") or {}).get("storage", ""))
        if expected and not _same_quantity(size, expected[0]):
            yield Finding("error", check, f"{obj.label} {where} requests {size or 'no size'}, but the answers ask for "
                                          f"{expected[0]} ({expected[1]})")


def _same_quantity(a: str, b: str) -> bool:
    try:
        return units.parse_quantity(a) == units.parse_quantity(b)
    except ValueError:
        return a == b


# --- ServiceMonitor / PodMonitor -> Service / Pod with the named port ---------------------------

def _monitor_namespaces(monitor: Obj) -> list[str] | None:
    """The namespaces a monitor looks in (None: all)."""
    selector = monitor.spec.get("namespaceSelector") or {}
    if selector.get("any"):
        return None
    return [str(n) for n in selector.get("matchNames") or []] or [monitor.namespace]


def _external(namespaces: list[str] | None, selector: dict[str, Any]) -> str | None:
    for namespace, labels, why in EXTERNAL_SERVICES:
        if (namespaces is None or namespace in namespaces) and label_selector_matches(selector, labels):
            return why
    return None


def _monitors(world: World) -> Iterator[Finding]:
    check = "wiring-monitors"
    for monitor in world.of("ServiceMonitor"):
        namespaces = _monitor_namespaces(monitor)
        selector = monitor.spec.get("selector") or {}
        if _external(namespaces, selector):
            continue
        services = [s for s in world.of("Service") if (namespaces is None or s.namespace in namespaces) and label_selector_matches(selector, s.labels)]
        where = f"{monitor.label} selector {selector.get('matchLabels') or selector} in {namespaces or 'all namespaces'}"
        if not services:
            yield world.missing(check, f"{where} -> no Service in the render matches")
            continue
        names = {str(p.get("name")) for s in services for p in _ports(s)}
        for i, endpoint in enumerate(monitor.spec.get("endpoints") or []):
            port = endpoint.get("port")
            if port and str(port) not in names:
                yield Finding("error", check, f"{monitor.label} endpoints[{i}].port {port} -> "
                                              f"{', '.join(s.label for s in services)} have no port named {port} "
                                              f"(ports: {', '.join(sorted(names))})")
    for monitor in world.of("PodMonitor"):
        namespaces = _monitor_namespaces(monitor)
        selector = monitor.spec.get("selector") or {}
        pods = [w for kind in _WORKLOADS for w in world.of(kind)
                if (namespaces is None or w.namespace in namespaces) and label_selector_matches(selector, _pod_labels(w))]
        where = f"{monitor.label} selector {selector.get('matchLabels') or selector} in {namespaces or 'all namespaces'}"
        if not pods:
            yield world.missing(check, f"{where} -> no Pod template in the render matches")
            continue
        names = {str(p.get("name")) for w in pods for c in _containers(w) for p in c.get("ports") or []}
        for i, endpoint in enumerate(monitor.spec.get("podMetricsEndpoints") or []):
            port = endpoint.get("port")
            if port and str(port) not in names:
                yield Finding("error", check, f"{monitor.label} podMetricsEndpoints[{i}].port {port} -> "
                                              f"{', '.join(w.label for w in pods)} have no container port named {port}")


def _pod_labels(workload: Obj) -> dict[str, str]:
    if workload.kind == "Pod":
        return workload.labels
    spec = workload.spec
    if workload.kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    meta = (spec.get("template") or {}).get("metadata") or {}
    return {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}


# --- PrometheusRule -> the Prometheus ruleSelector -----------------------------------------------

def _rule_selector(world: World) -> Iterator[Finding]:
    """Operator semantics: a null ruleSelector selects no rules, ``{}`` all; a null
    ruleNamespaceSelector means the Prometheus's own namespace only, ``{}`` every namespace."""
    check = "wiring-rule-selector"
    for prometheus in world.of("Prometheus"):
        spec = prometheus.spec
        for rule in world.of("PrometheusRule"):
            end = f"{rule.label} (labels {rule.labels or 'none'}, namespace {rule.namespace})"
            if "ruleSelector" not in spec or spec["ruleSelector"] is None:
                yield Finding("error", check, f"{end} -> {prometheus.label} has no ruleSelector, which selects no rules")
                continue
            ns_selector = spec.get("ruleNamespaceSelector")
            if ns_selector is None and rule.namespace != prometheus.namespace:
                yield Finding("error", check, f"{end} -> {prometheus.label} only reads rules from its own namespace "
                                              f"{prometheus.namespace} (ruleNamespaceSelector unset)")
            elif ns_selector:
                namespace = world.get("Namespace", rule.namespace, "")
                if namespace is None:
                    namespace = next((n for n in world.of("Namespace") if n.name == rule.namespace), None)
                if namespace is None or not label_selector_matches(ns_selector, namespace.labels):
                    yield Finding("error" if namespace else "skipped", check,
                                  f"{end} -> {prometheus.label} ruleNamespaceSelector {ns_selector} "
                                  f"{'does not select' if namespace else 'cannot be checked against'} namespace {rule.namespace}")
            if not label_selector_matches(spec["ruleSelector"], rule.labels):
                yield Finding("error", check, f"{end} -> {prometheus.label} ruleSelector {spec['ruleSelector']} does not "
                                              "select it, so Prometheus never evaluates its rules")


# --- Alloy config sys.env -> the DaemonSet's env --------------------------------------------------

_SYS_ENV = re.compile(r'sys\.env\(\s*"([^"]+)"\s*\)')
_NODE_FILTER = re.compile(r'"spec\.nodeName="\s*\+[^\n]*?sys\.env\(\s*"([^"]+)"\s*\)')


def _alloy_env(world: World) -> Iterator[Finding]:
    check = "wiring-alloy-env"
    for cm, key, text in _alloy_configs(world):
        used = set(_SYS_ENV.findall(text))
        node_vars = set(_NODE_FILTER.findall(text))
        if not used:
            continue
        for kind in ("DaemonSet", "Deployment", "StatefulSet"):
            for workload in world.of(kind, cm.namespace):
                volumes = {v.get("name") for v in _pod_spec(workload).get("volumes") or []
                           if ((v or {}).get("configMap") or {}).get("name") == cm.name}
                if not volumes:
                    continue
                mounting = [c for c in _containers(workload) if any(m.get("name") in volumes for m in c.get("volumeMounts") or [])]
                # The container that runs the config names its file; sidecars (the config reloader) only watch the folder.
                running = [c for c in mounting if key in " ".join(map(str, [*(c.get("command") or []), *(c.get("args") or [])]))]
                for container in running or mounting:
                    env = {e.get("name"): e for e in container.get("env") or [] if isinstance(e, dict)}
                    for name in sorted(used):
                        source = f"{cm.label} {key} reads sys.env(\"{name}\")"
                        if name not in env:
                            yield Finding("error", check, f"{source} -> {workload.label} container {container.get('name')} "
                                                          f"has no env {name} (env: {', '.join(sorted(map(str, env))) or 'none'})")
                        elif name in node_vars:
                            field = ((env[name].get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
                            if field != "spec.nodeName":
                                yield Finding("error", check, f"{source} to keep only this node's pods -> {workload.label} "
                                                              f"container {container.get('name')} env {name} is not the "
                                                              f"node name (fieldRef spec.nodeName)")
