"""Read the target repo before asking anything, and turn what is found into defaults and choices.

Found: saved answers; the cluster-template layout variant (``components/sops`` with a
``namespace.yaml`` per namespace, or ``components/common`` supplying the Namespace); whether the
cluster-wide Flux patch already sets HelmRelease install/upgrade defaults; Gateways and their HTTPS
listener; ClusterSecretStores and their vaults; StorageClasses; the cluster domain where the repo
records it; and apps already in the observability namespace (obs-wizard's own, or not).
Discovery only suggests: explicit answers always win, and nothing here is written.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard import answers_file, yamlio
from wizard.state import State

APP_NAMES = ("kube-prometheus-stack", "loki", "alloy")
_KINDS = ("Gateway", "ClusterSecretStore", "StorageClass")


@dataclass(frozen=True)
class Gateway:
    name: str
    namespace: str
    https_section: str | None  # the listener that admits routes from all namespaces


@dataclass(frozen=True)
class SecretStore:
    name: str
    vaults: tuple[str, ...]


@dataclass
class Discovery:
    saved_answers: Path | None = None
    layout: str = "plain"  # "components-sops", "components-common" or "plain"
    helmrelease_defaults: bool = False
    gateways: list[Gateway] = field(default_factory=list)
    secret_stores: list[SecretStore] = field(default_factory=list)
    storage_classes: list[str] = field(default_factory=list)
    default_storage_class: str | None = None
    domain: str | None = None
    existing_apps: list[str] = field(default_factory=list)  # app folders in the namespace folder
    foreign_apps: list[str] = field(default_factory=list)  # obs-wizard's app names it did not write
    notes: list[str] = field(default_factory=list)

    def suggestions(self) -> dict[str, dict[str, Any]]:
        """Answer values (section -> field -> value) the repo implies; explicit answers override them."""
        out: dict[str, dict[str, Any]] = {}

        def put(section: str, name: str, value: Any) -> None:
            out.setdefault(section, {})[name] = value

        if self.domain:
            put("cluster", "domain", self.domain)
        storage = self.default_storage_class or (self.storage_classes[0] if len(self.storage_classes) == 1 else None)
        if storage:
            put("cluster", "storage_class", storage)
        if self.layout == "components-sops":
            put("flux", "namespace_components", ["../../components/sops"])
            put("flux", "substitute_from", "cluster-secrets")
        elif self.layout == "components-common":
            put("flux", "namespace_components", ["../../components/common"])
            put("flux", "substitute_from", "cluster-secrets")
            put("flux", "namespace_manifest", False)
        if self.helmrelease_defaults:
            put("flux", "helmrelease_defaults", True)
        gateway = self.preferred_gateway()
        if gateway:
            put("grafana", "gateway_name", gateway.name)
            put("grafana", "gateway_namespace", gateway.namespace)
            if gateway.https_section:
                put("grafana", "gateway_section", gateway.https_section)
        if self.secret_stores:
            store = self.secret_stores[0]
            put("secrets", "store", store.name)
            if store.vaults:
                put("secrets", "vault", store.vaults[0])
        return out

    def preferred_gateway(self) -> Gateway | None:
        usable = [g for g in self.gateways if g.https_section] or self.gateways
        internal = [g for g in usable if "internal" in g.name]
        return (internal or usable or [None])[0]

    def report(self) -> list[str]:
        lines = [f"layout: {self.layout}" + (", HelmRelease defaults from the cluster Flux patch" if self.helmrelease_defaults else "")]
        if self.gateways:
            lines.append("gateways: " + ", ".join(f"{g.namespace}/{g.name}" + (f" ({g.https_section})" if g.https_section else "") for g in self.gateways))
        if self.secret_stores:
            lines.append("ClusterSecretStores: " + ", ".join(f"{s.name} (vaults: {', '.join(s.vaults) or '?'})" for s in self.secret_stores))
        if self.storage_classes:
            lines.append("StorageClasses: " + ", ".join(self.storage_classes))
        if self.domain:
            lines.append(f"cluster domain: {self.domain}")
        others = [a for a in self.existing_apps if a not in APP_NAMES]
        if others:
            lines.append("other apps in the namespace (kept as they are): " + ", ".join(others))
        if self.foreign_apps:
            lines.append("observability apps not written by obs-wizard (merge them with --adopt, or move them away): "
                         + ", ".join(self.foreign_apps))
        return lines + self.notes


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if not any(f"kind: {kind}" in text for kind in _KINDS):
        return []
    try:
        return [d for d in yamlio.load_all(text) if isinstance(d, dict)]
    except yamlio.YAMLError:
        return []


def _namespace_from_path(repo: Path, path: Path) -> str:
    parts = path.relative_to(repo).parts
    return parts[2] if len(parts) > 3 and parts[:2] == ("kubernetes", "apps") else "default"


def discover(repo: Path, namespace: str = "observability", previous: State | None = None) -> Discovery:
    found = Discovery()
    saved = repo / answers_file.ANSWERS_PATH
    found.saved_answers = saved if saved.is_file() else None
    k8s = repo / "kubernetes"
    if (k8s / "components/sops").is_dir():
        found.layout = "components-sops"
    elif (k8s / "components/common").is_dir():
        found.layout = "components-common"
    flux_ks = k8s / "flux/cluster/ks.yaml"
    if flux_ks.is_file():
        text = flux_ks.read_text(encoding="utf-8", errors="replace")
        found.helmrelease_defaults = "kind: HelmRelease" in text and "CreateReplace" in text

    if k8s.is_dir():
        for path in sorted(k8s.rglob("*.y*ml")):
            if ".sops." in path.name:
                continue
            for doc in _documents(path):
                kind = doc.get("kind")
                meta = doc.get("metadata") or {}
                name = meta.get("name")
                if not isinstance(name, str):
                    continue
                if kind == "Gateway":
                    section = None
                    for listener in (doc.get("spec") or {}).get("listeners") or []:
                        allowed = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from")
                        if listener.get("protocol") == "HTTPS" and allowed == "All":
                            section = listener.get("name")
                            break
                    found.gateways.append(Gateway(name, meta.get("namespace") or _namespace_from_path(repo, path), section))
                elif kind == "ClusterSecretStore":
                    provider = (doc.get("spec") or {}).get("provider") or {}
                    connect = provider.get("onepassword") or {}
                    vaults = sorted((connect.get("vaults") or {}).items(), key=lambda kv: kv[1])
                    sdk_vault = (provider.get("onepasswordSDK") or {}).get("vault")
                    if connect or sdk_vault:
                        found.secret_stores.append(SecretStore(name, tuple(v for v, _ in vaults) or ((sdk_vault,) if sdk_vault else ())))
                elif kind == "StorageClass":
                    found.storage_classes.append(name)
                    if str((meta.get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class")) == "true":
                        found.default_storage_class = name
        # Connect stores first: obs-wizard checks items through 1Password Connect.
        found.secret_stores.sort(key=lambda s: 0 if "connect" in s.name or s.name == "onepassword" else 1)

    found.domain = _domain(repo)
    ns_dir = k8s / "apps" / namespace
    if ns_dir.is_dir():
        found.existing_apps = sorted(p.name for p in ns_dir.iterdir() if p.is_dir() and (p / "ks.yaml").is_file())
        written = set((previous.files if previous else {}).keys())
        for app in APP_NAMES:
            if app in found.existing_apps and not any(f.startswith(f"kubernetes/apps/{namespace}/{app}/") for f in written):
                found.foreign_apps.append(app)
    return found


def _domain(repo: Path) -> str | None:
    for name in ("cluster.yaml", "cluster.toml"):
        path = repo / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if name.endswith(".toml") else yamlio.load(text)
        except (OSError, ValueError, yamlio.YAMLError):
            continue
        if isinstance(data, dict):
            domain = data.get("cloudflare_domain") or data.get("domain")
            if isinstance(domain, str) and domain:
                return domain
    return None
