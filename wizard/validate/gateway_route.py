"""Each HTTPRoute against the Gateway it names: will it attach?

The Gateway API attaches a route to a listener only when the parentRef names a Gateway (and
``sectionName`` a listener of it), one of the route's hostnames matches the listener's hostname
(``*.example.com`` matches one or more labels in front of ``example.com``), and the listener's
``allowedRoutes`` admits the route's namespace and kind. Anything else is accepted by the API server
and then silently never routed. The Gateways are read from the repo, with the Flux variables
(``${SECRET_DOMAIN}``) substituted as Flux will, the same as the route's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.base import yamlio
from wizard.render.extract import label_selector_matches
from wizard.repo.repo_paths import read_text
from wizard.validate.findings import Finding, Report

CHECK = "gateway-route"
_GROUP = "gateway.networking.k8s.io"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Listener:
    name: str
    hostname: str | None  # after Flux substitution
    protocol: str
    allowed: dict[str, Any]  # spec.listeners[].allowedRoutes
    written: str | None = None  # the hostname as written in the repo (${SECRET_DOMAIN})


@dataclass(frozen=True)
class GatewayDef:
    namespace: str
    name: str
    listeners: tuple[Listener, ...]
    file: str


def _folder_namespace(rel: str) -> str | None:
    parts = rel.split("/")
    return parts[2] if len(parts) > 3 and parts[:2] == ["kubernetes", "apps"] else None


def _substitute(value: Any, variables: dict[str, str]) -> str | None:
    if value is None:
        return None
    text = str(value)
    for name, replacement in variables.items():
        text = text.replace("${" + name + "}", replacement)
    return text


def _gateways_in(rel: str, text: str, variables: dict[str, str]) -> list[GatewayDef]:
    if "Gateway" not in text:
        return []
    try:
        docs = yamlio.load_all(text)
    except yamlio.YAMLError:
        return []
    found = []
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "Gateway" or not str(doc.get("apiVersion", "")).startswith(_GROUP + "/"):
            continue
        meta = doc.get("metadata") or {}
        namespace = meta.get("namespace") or _folder_namespace(rel) or "default"
        listeners = []
        for item in (doc.get("spec") or {}).get("listeners") or []:
            if isinstance(item, dict) and item.get("name"):
                written = item.get("hostname")
                listeners.append(Listener(str(item["name"]), _substitute(written, variables), str(item.get("protocol", "")),
                                          item.get("allowedRoutes") or {}, None if written is None else str(written)))
        found.append(GatewayDef(str(namespace), str(meta.get("name", "")), tuple(listeners), rel))
    return found


def repo_gateways(repo: Path | None, files: dict[str, str], variables: dict[str, str]) -> list[GatewayDef]:
    """Every Gateway the repo defines (its ``kubernetes/`` tree, as it will be after the write)."""
    found: list[GatewayDef] = []
    seen: set[str] = set()
    for rel, text in files.items():
        seen.add(rel)
        found.extend(_gateways_in(rel, text, variables))
    if repo is None:
        return found
    root = os.path.realpath(repo)
    top = os.path.join(root, "kubernetes")
    for folder, _dirs, names in os.walk(top):  # never follows a link
        for name in names:
            if not name.endswith((".yaml", ".yml")) or ".sops." in name:
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if rel in seen or os.path.islink(path):
                continue
            text = read_text(root, rel)
            if text is not None:
                found.extend(_gateways_in(rel, text, variables))
    return found


def hostname_matches(route: str, listener: str | None) -> bool:
    """Whether a route hostname and a listener hostname intersect (Gateway API rules, wildcards both sides)."""
    if listener is None:
        return True
    route, listener = route.lower().rstrip("."), listener.lower().rstrip(".")
    if route == listener:
        return True
    if listener.startswith("*."):
        suffix = listener[1:]  # ".example.com"
        if route.startswith("*."):
            return route[1:].endswith(suffix)
        return route.endswith(suffix) and len(route) > len(suffix)
    if route.startswith("*."):
        suffix = route[1:]
        return listener.endswith(suffix) and len(listener) > len(suffix)
    return False


def _admits(listener: Listener, gateway: GatewayDef, namespace: str, labels: dict[str, str]) -> str | None:
    """Why ``listener`` does not admit an HTTPRoute from ``namespace``, or None when it does."""
    if listener.protocol and listener.protocol not in ("HTTP", "HTTPS"):
        return f"it is a {listener.protocol} listener; an HTTPRoute attaches to HTTP and HTTPS listeners only"
    kinds = listener.allowed.get("kinds")
    if isinstance(kinds, list) and kinds and not any(
            isinstance(k, dict) and k.get("kind") == "HTTPRoute" and k.get("group", _GROUP) == _GROUP for k in kinds):
        return "its allowedRoutes.kinds do not include HTTPRoute"
    namespaces = listener.allowed.get("namespaces") or {}
    origin = namespaces.get("from", "Same") if isinstance(namespaces, dict) else "Same"
    if origin == "All":
        return None
    if origin == "Same":
        if namespace == gateway.namespace:
            return None
        return (f"its allowedRoutes admit routes from its own namespace {gateway.namespace} only "
                f"(namespaces.from: Same), not from {namespace}")
    if origin == "Selector":
        selector = namespaces.get("selector") or {}
        if isinstance(selector, dict) and label_selector_matches(selector, labels):
            return None
        return f"its allowedRoutes.namespaces.selector does not select the namespace {namespace} (labels {labels})"
    return f"its allowedRoutes.namespaces.from is {origin!r}"


def _namespace_labels(files: dict[str, str], namespace: str) -> dict[str, str]:
    labels = {"kubernetes.io/metadata.name": namespace}
    for text in files.values():
        if "kind: Namespace" not in text:
            continue
        try:
            docs = yamlio.load_all(text)
        except yamlio.YAMLError:
            continue
        for doc in docs:
            meta = doc.get("metadata") if isinstance(doc, dict) and doc.get("kind") == "Namespace" else None
            if isinstance(meta, dict) and meta.get("name") == namespace:
                labels.update({str(k): str(v) for k, v in (meta.get("labels") or {}).items()})
    return labels


def check_gateway_routes(files: dict[str, str], repo: Path | None, variables: dict[str, str],
                         outside_repo: set[tuple[str, str]] | None = None) -> Report:
    """Every HTTPRoute in ``files`` (substituted) against the Gateways the repo defines.

    ``outside_repo``: (namespace, name) of Gateways the answers say live outside the repo; a route to one
    cannot be checked, and is reported as skipped.
    """
    routes = []
    for rel, text in files.items():
        if "HTTPRoute" not in text or not rel.endswith((".yaml", ".yml")):
            continue
        try:
            docs = yamlio.load_all(text)
        except yamlio.YAMLError:
            continue  # the yaml check reports it
        for index, doc in enumerate(docs, start=1):
            if isinstance(doc, dict) and doc.get("kind") == "HTTPRoute":
                routes.append((rel, index, doc))
    report = Report()
    if not routes:
        return report
    report.checks_run.append(CHECK)
    gateways = {(g.namespace, g.name): g for g in repo_gateways(repo, {}, variables)}
    outside_repo = outside_repo or set()
    for rel, index, route in routes:
        meta = route.get("metadata") or {}
        namespace = str(meta.get("namespace") or _folder_namespace(rel) or "default")
        label = f"HTTPRoute/{meta.get('name', '?')} (document {index})"
        spec = route.get("spec") or {}
        hostnames = [str(h) for h in spec.get("hostnames") or []]
        labels = _namespace_labels(files, namespace)
        for ref_index, ref in enumerate(spec.get("parentRefs") or []):
            if not isinstance(ref, dict) or ref.get("kind", "Gateway") != "Gateway" or ref.get("group", _GROUP) != _GROUP:
                continue
            where = f"spec.parentRefs[{ref_index}]"
            key = (str(ref.get("namespace") or namespace), str(ref.get("name", "")))
            gateway = gateways.get(key)
            if gateway is None:
                if key in outside_repo:
                    report.add(Finding("skipped", CHECK, f"the Gateway {key[0]}/{key[1]} is defined outside the repo "
                                       "(grafana.gateway_outside_repo), so its listeners were not compared with this route",
                                       file=rel, document=label, path=where,
                                       remedy="define the Gateway in the repo, or check the route on the cluster "
                                              "(kubectl get httproute -o yaml: status.parents)"))
                    continue
                defined = ", ".join(sorted(f"{ns}/{n}" for ns, n in gateways)) or "none"
                report.add(Finding("error", CHECK, f"names the Gateway {key[0]}/{key[1]}, which the repo does not define "
                                   f"(it defines: {defined}); the route would never attach", file=rel, document=label, path=where))
                continue
            section = ref.get("sectionName")
            if not gateway.listeners:
                report.add(Finding("error", CHECK, f"the Gateway {key[0]}/{key[1]} ({gateway.file}) has no listeners; "
                                   "the route would never attach", file=rel, document=label, path=where))
                continue
            listeners = [lst for lst in gateway.listeners if section is None or lst.name == section]
            if section is not None and not listeners:
                report.add(Finding("error", CHECK, f"sectionName {section!r}: the Gateway {key[0]}/{key[1]} ({gateway.file}) "
                                   f"has no such listener (its listeners: {', '.join(lst.name for lst in gateway.listeners) or 'none'}); "
                                   "the route would never attach", file=rel, document=label, path=f"{where}.sectionName"))
                continue
            problems = []
            for listener in listeners:
                unresolved = _VARIABLE.search(listener.hostname or "")
                if unresolved:
                    report.add(Finding("skipped", CHECK, f"the Gateway {key[0]}/{key[1]} listener {listener.name} hostname "
                                       f"{listener.hostname!r} uses ${{{unresolved.group(1)}}}, whose value obs-wizard does not know",
                                       file=rel, document=label, path=where,
                                       remedy="use the variables the answers substitute (${SECRET_DOMAIN})"))
                    problems = []
                    break
                why = _admits(listener, gateway, namespace, labels)
                if why is None and hostnames and not any(hostname_matches(h, listener.hostname) for h in hostnames):
                    why = (f"none of the route's hostnames ({', '.join(hostnames)}) matches its hostname "
                           f"{listener.written}")
                    if listener.written != listener.hostname:
                        why += f" (Flux substitutes {listener.written!r}: write the route's hostname with the same variable)"
                if why is None:
                    break  # attaches to this listener
                problems.append(f"listener {listener.name}: {why}")
            else:
                if problems:
                    report.add(Finding("error", CHECK, f"would not attach to the Gateway {key[0]}/{key[1]} ({gateway.file}): "
                                       + "; ".join(problems), file=rel, document=label,
                                       path="spec.hostnames" if all("hostname" in p for p in problems) else where))
    return report
