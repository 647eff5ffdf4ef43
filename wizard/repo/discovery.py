"""Read the target repo before asking anything, and turn what is found into defaults and choices.

Found: saved answers; the Flux Kustomization that applies ``kubernetes/apps`` (without one this
is not a Flux repo); the cluster-template layout variant (``components/sops`` with a
``namespace.yaml`` per namespace, or ``components/common`` supplying the Namespace); whether the
cluster-wide Flux patch already sets HelmRelease install/upgrade defaults; Flux sources
(GitRepository manifests, the Flux Operator's ``flux-instance`` sync, the source the apps
Kustomization reads); Gateways and their listeners (Cilium in ``kube-system``, envoy-gateway in
``network``); ClusterSecretStores and their vaults; StorageClasses, written as manifests or created
by a HelmRelease of a known provisioner chart; the cluster domain (``cluster.yaml``,
``cluster.toml``), or that the repo keeps it out of git as ``${SECRET_DOMAIN}`` from a SOPS
``cluster-secrets``; and apps already in the observability namespace (obs-wizard's own, or not).
Discovery only suggests: explicit answers always win, and nothing here is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.answers import answers_file
from wizard.base import yamlio
from wizard.repo import app_namespaces as _app_namespaces
from wizard.repo import dialect as _dialect
from wizard.repo import repo_paths
from wizard.repo.state import State

APP_NAMES = ("kube-prometheus-stack", "loki", "alloy")
_KINDS = ("Gateway", "ClusterSecretStore", "StorageClass", "HelmRelease", "OCIRepository", "HelmRepository",
          "GitRepository", "FluxInstance", "Kustomization")
#: The Flux variable cluster-template repos use to keep the domain out of git.
DOMAIN_VARIABLE = "SECRET_DOMAIN"


@dataclass(frozen=True)
class Gateway:
    name: str
    namespace: str
    https_section: str | None  # the listener that admits routes from all namespaces
    listeners: tuple[str, ...] = ()


@dataclass(frozen=True)
class FluxSource:
    kind: str
    namespace: str
    name: str
    where: str  # how the repo defines it, for the report


@dataclass(frozen=True)
class SecretStore:
    name: str
    vaults: tuple[str, ...]
    connect_host: str | None = None  # spec.provider.onepassword.connectHost: where ESO reaches Connect
    token_secret: tuple[str, str, str] | None = None  # (namespace, name, key) of the Connect token Secret
    namespace: str = ""  # of the folder that defines it (a ClusterSecretStore has none of its own)


@dataclass(frozen=True)
class ConnectService:
    """The in-cluster Service a Connect-backed store reaches (from its connectHost), for a port-forward."""

    namespace: str
    name: str
    port: int
    store: str


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
    domain_variable: str | None = None  # "SECRET_DOMAIN" when the repo keeps the domain out of git
    substitute_from: str | None = None  # the Secret Flux substitutes it from (cluster-secrets)
    apps_kustomization: str | None = None  # namespace/name of the Flux Kustomization applying kubernetes/apps
    flux_operator: bool = False  # Flux installed by the Flux Operator (flux-instance)
    sources: list[FluxSource] = field(default_factory=list)
    existing_apps: list[str] = field(default_factory=list)  # app folders in the namespace folder
    foreign_apps: list[str] = field(default_factory=list)  # obs-wizard's app names it did not write
    notes: list[str] = field(default_factory=list)
    app_namespaces: list[str] = field(default_factory=list)  # namespaces the repo's apps use (the Flux alerts watch them)
    #: How the files are written: learned from the repo's apps on the first write, then the one recorded in state.json
    dialect: _dialect.Dialect = _dialect.LEGACY
    learned_dialect: _dialect.Dialect | None = None  # what the repo's apps are written like (None: no app to learn from)
    dialect_recorded: bool = False  # a re-run: the dialect is the first write's (state.json)
    #: The Flux Kustomization (namespace/name) that applies each ClusterSecretStore / StorageClass
    store_kustomizations: dict[str, str] = field(default_factory=dict)
    storage_kustomizations: dict[str, str] = field(default_factory=dict)
    #: What installs the Prometheus Operator CRDs besides obs-wizard: (flux.crds_installed_by value, how found)
    operator_crds: list[tuple[str, str]] = field(default_factory=list)

    def suggestions(self) -> dict[str, dict[str, Any]]:
        """Answer values (section -> field -> value) the repo implies; explicit answers override them."""
        out: dict[str, dict[str, Any]] = {}

        def put(section: str, name: str, value: Any) -> None:
            out.setdefault(section, {})[name] = value

        if self.domain and not self.domain_variable:
            put("cluster", "domain", self.domain)
        storage = self.default_storage_class or (self.storage_classes[0] if len(self.storage_classes) == 1 else None)
        if storage:
            put("cluster", "storage_class", storage)
            if storage in self.storage_kustomizations:
                put("flux", "storage_dependency", self.storage_kustomizations[storage])
        if self.layout == "components-sops":
            put("flux", "namespace_components", ["../../components/sops"])
            put("flux", "substitute_from", self.substitute_from or "cluster-secrets")
        elif self.layout == "components-common":
            put("flux", "namespace_components", ["../../components/common"])
            put("flux", "substitute_from", self.substitute_from or "cluster-secrets")
            put("flux", "namespace_manifest", False)
        elif self.substitute_from:
            put("flux", "substitute_from", self.substitute_from)
        git_sources = [s for s in self.sources if s.kind == "GitRepository"]
        if len(git_sources) == 1:
            put("flux", "git_repository", git_sources[0].name)
            put("flux", "git_repository_namespace", git_sources[0].namespace)
        if self.helmrelease_defaults:
            put("flux", "helmrelease_defaults", True)
        gateway = self.preferred_gateway()
        if gateway:
            put("grafana", "gateway_name", gateway.name)
            put("grafana", "gateway_namespace", gateway.namespace)
            if gateway.https_section:
                put("grafana", "gateway_section", gateway.https_section)
        if self.secret_stores:
            store = self.secret_stores[0]  # Connect stores first (see discover)
            put("secrets", "store", store.name)
            if store.vaults:
                put("secrets", "vault", store.vaults[0])
            if store.name in self.store_kustomizations:
                put("flux", "secret_store_dependency", self.store_kustomizations[store.name])
        if self.operator_crds:
            put("flux", "crds_installed_by", self.operator_crds[0][0])
        return out

    def preferred_gateway(self) -> Gateway | None:
        usable = [g for g in self.gateways if g.https_section] or self.gateways
        internal = [g for g in usable if "internal" in g.name]
        return (internal or usable or [None])[0]

    def choices(self) -> dict[str, list[str]]:
        """Discovered values per answer (``section.field``), offered as pick lists by the front ends."""
        out: dict[str, list[str]] = {}

        def add(key: str, values) -> None:
            unique = list(dict.fromkeys(v for v in values if v))
            if unique:
                out[key] = unique

        add("secrets.store", (s.name for s in self.secret_stores))
        add("secrets.vault", (v for s in self.secret_stores for v in s.vaults))
        add("grafana.gateway_name", (g.name for g in self.gateways))
        add("grafana.gateway_namespace", (g.namespace for g in self.gateways))
        add("grafana.gateway_section", (name for g in self.gateways for name in g.listeners))
        add("cluster.storage_class", self.storage_classes)
        git = [s for s in self.sources if s.kind == "GitRepository"]
        add("flux.git_repository", (s.name for s in git))
        add("flux.git_repository_namespace", (s.namespace for s in git))
        return out

    def connect_service(self, store_name: str) -> ConnectService | None:
        """The Service behind the store's connectHost, when it is an in-cluster address
        (``name``, ``name.namespace``, ``name.namespace.svc[.cluster.local]``, with an optional port)."""
        from urllib.parse import urlsplit

        store = next((s for s in self.secret_stores if s.name == store_name), None)
        if store is None or not store.connect_host:
            return None
        try:
            url = urlsplit(store.connect_host)
            host, port = url.hostname or "", url.port
        except ValueError:
            return None
        parts = host.split(".")
        in_cluster = len(parts) <= 2 or parts[2] == "svc"
        if not host or not in_cluster or any(not p for p in parts) or parts[0].isdigit():
            return None
        namespace = parts[1] if len(parts) > 1 else (store.token_secret[0] if store.token_secret else store.namespace)
        if not namespace:
            return None
        return ConnectService(namespace, parts[0], port or (443 if url.scheme == "https" else 80), store.name)

    @property
    def is_flux_repo(self) -> bool:
        return self.apps_kustomization is not None

    def report(self) -> list[str]:
        lines = [f"layout: {self.layout}" + (", HelmRelease defaults from the cluster Flux patch" if self.helmrelease_defaults else "")
                 + (", Flux Operator (flux-instance)" if self.flux_operator else "")]
        if self.apps_kustomization:
            lines.append(f"Flux Kustomization applying kubernetes/apps: {self.apps_kustomization}")
        if self.sources:
            lines.append("Flux sources: " + ", ".join(f"{s.kind} {s.namespace}/{s.name} ({s.where})" for s in self.sources))
        if self.gateways:
            lines.append("gateways: " + ", ".join(f"{g.namespace}/{g.name}" + (f" ({g.https_section})" if g.https_section else "") for g in self.gateways))
        if self.secret_stores:
            lines.append("ClusterSecretStores: " + ", ".join(f"{s.name} (vaults: {', '.join(s.vaults) or '?'})" for s in self.secret_stores))
        if self.storage_classes:
            lines.append("StorageClasses: " + ", ".join(self.storage_classes))
        if self.domain_variable:
            lines.append(f"cluster domain: kept out of git as ${{{self.domain_variable}}} (Flux substitutes it from "
                         f"the Secret {self.substitute_from}); obs-wizard writes the variable, never the domain")
        elif self.domain:
            lines.append(f"cluster domain: {self.domain}")
        others = [a for a in self.existing_apps if a not in APP_NAMES]
        if others:
            lines.append("other apps in the namespace (kept as they are): " + ", ".join(others))
        if self.foreign_apps:
            lines.append("observability apps not written by obs-wizard (merge them with --adopt, or move them away): "
                         + ", ".join(self.foreign_apps))
        if self.app_namespaces:
            lines.append("namespaces the apps use (the Flux alerts watch them): " + ", ".join(self.app_namespaces))
        if self.store_kustomizations:
            lines.append("ClusterSecretStores applied by: " + ", ".join(f"{k} ({v})" for k, v in self.store_kustomizations.items()))
        if self.storage_kustomizations:
            lines.append("StorageClasses created by: " + ", ".join(f"{k} ({v})" for k, v in self.storage_kustomizations.items()))
        for _, how in self.operator_crds:
            lines.append(f"Prometheus Operator CRDs already installed by {how}")
        return lines + self.notes

    def dialect_lines(self) -> list[str]:
        """The dialect the files are written in, and why that one."""
        lines = self.dialect.describe()
        if not self.dialect_recorded and self.learned_dialect is None:
            lines.append("dialect: the repo has no app of its own to learn from (kubernetes/apps/<namespace>/<app>/ks.yaml)")
        if self.dialect_recorded:
            lines.append("dialect: kept from the first write (recorded in .obs-wizard/state.json): a re-run never rewrites "
                         "a file only to change its style")
            if self.learned_dialect is not None and self.learned_dialect != self.dialect and self.dialect.legacy:
                lines.append(f"dialect: the repo's apps are written like {self.learned_dialect.learned_from}; "
                             "obs-wizard keeps the files' own style")
        return lines


MAX_UNREADABLE_NOTES = 10
_CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ", "<<<<<<<\n", ">>>>>>>\n")


def _documents(path: Path, rel: str = "", notes: list[str] | None = None) -> list[dict[str, Any]]:
    """The mappings in a manifest that may define what discovery looks for. A manifest it cannot read
    is named in ``notes`` (one line: the file and what is wrong), never skipped silently."""
    def skipped(what: str, remedy: str) -> list[dict[str, Any]]:
        if notes is not None:
            notes.append(f"{rel or path}: {what}; discovery skipped it ({remedy})")
        return []

    try:
        data = path.read_bytes()
    except OSError as exc:
        return skipped(f"cannot be read ({exc.strerror or exc.__class__.__name__})", "fix its permissions")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return skipped(f"is not UTF-8 text (line {line}, byte {exc.start})", "save it as UTF-8; Flux cannot apply it either")
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.startswith(_CONFLICT_MARKERS) or line.rstrip("\r\n") in ("<<<<<<<", ">>>>>>>"):
            return skipped(f"has a git conflict marker at line {lineno}", "finish the merge: keep one side and delete the markers")
    if not any(f"kind: {kind}" in text for kind in _KINDS):
        return []
    try:
        return [d for d in yamlio.load_all(text) if isinstance(d, dict)]
    except yamlio.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return skipped(f"is not valid YAML{where}", "fix the syntax; Flux cannot apply it either")
    except (ValueError, RecursionError):  # a 5000-digit integer, nesting thousands deep
        return skipped("holds YAML too large or deep to read", "fix the file")


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
        _scan(repo, k8s, found, namespace)
    found.operator_crds[:0] = _bootstrap_crds(repo)
    found.operator_crds.sort(key=lambda c: 0 if c[0].startswith("helmrelease:") else 1)  # a HelmRelease owner first
    found.learned_dialect = _dialect.learn(repo, namespace, APP_NAMES)
    if previous is not None:
        found.dialect, found.dialect_recorded = _dialect.Dialect.from_dict(previous.dialect), True
    else:
        found.dialect = found.learned_dialect or _dialect.LEGACY
    found.domain = _domain(repo)
    found.app_namespaces = _app_namespaces.discover(repo)
    if found.domain_variable and found.domain:
        found.domain = None  # never carried into anything obs-wizard writes
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
            if name.endswith(".toml"):
                import tomllib  # only for a cluster.toml

                data = tomllib.loads(text)
            else:
                data = yamlio.load(text)
        except (OSError, ValueError, yamlio.YAMLError):
            continue
        if isinstance(data, dict):
            domain = data.get("cloudflare_domain") or data.get("domain")
            if isinstance(domain, dict):  # cluster.toml (2026): [domain] name = "..."
                domain = domain.get("name")
            if isinstance(domain, str) and domain:
                return domain
    return None


#: Provisioner charts whose HelmRelease creates StorageClasses: chart -> values -> [(name, default?)].
def _openebs(values: dict[str, Any]) -> list[tuple[str, bool]]:
    local = values.get("localpv-provisioner") if isinstance(values.get("localpv-provisioner"), dict) else values
    return _class_block(local.get("hostpathClass"), "openebs-hostpath", "isDefaultClass")


def _class_block(block: Any, default_name: str, default_key: str, enabled_key: str = "enabled") -> list[tuple[str, bool]]:
    block = block if isinstance(block, dict) else {}
    if block.get(enabled_key, True) is False:
        return []
    return [(str(block.get("name") or default_name), block.get(default_key) is True)]


def _rook_ceph_cluster(values: dict[str, Any]) -> list[tuple[str, bool]]:
    out = []
    for key, default_name in (("cephBlockPools", "ceph-block"), ("cephFileSystems", "ceph-filesystem"), ("cephObjectStores", "ceph-bucket")):
        entries = values.get(key)
        if entries is None:
            entries = [{}]
        for entry in entries if isinstance(entries, list) else []:
            cls = (entry or {}).get("storageClass") if isinstance(entry, dict) else None
            out += _class_block(cls, default_name, "isDefault")
    return out


def _democratic_csi(values: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(str(c["name"]), c.get("defaultClass") is True)
            for c in values.get("storageClasses") or [] if isinstance(c, dict) and c.get("name")]


PROVISIONER_CHARTS = {
    "openebs": _openebs,
    "localpv-provisioner": lambda v: _class_block(v.get("hostpathClass"), "openebs-hostpath", "isDefaultClass"),
    "local-path-provisioner": lambda v: _class_block(v.get("storageClass"), "local-path", "defaultClass", "create"),
    "democratic-csi": _democratic_csi,
    "rook-ceph-cluster": _rook_ceph_cluster,
    "longhorn": lambda v: [("longhorn", ((v.get("persistence") or {}).get("defaultClass", True)) is True)],
    "csi-driver-nfs": lambda v: _class_block(v.get("storageClass"), "nfs-csi", "defaultClass", "create")
    if isinstance(v.get("storageClass"), dict) and v["storageClass"].get("create") else [],
}


def _chart_of(doc: dict[str, Any], oci_charts: dict[str, str]) -> str | None:
    spec = doc.get("spec") or {}
    chart = ((spec.get("chart") or {}).get("spec") or {}).get("chart")
    if isinstance(chart, str):
        return chart.rsplit("/", 1)[-1]
    ref = spec.get("chartRef") or {}
    if isinstance(ref.get("name"), str):
        return oci_charts.get(ref["name"], ref["name"])
    return None


def _path_points_at_apps(path: Any) -> bool:
    if not isinstance(path, str):
        return False
    parts = [p for p in path.strip().split("/") if p not in ("", ".")]
    return parts in (["kubernetes", "apps"], ["kubernetes"])


def _bootstrap_crds(repo: Path) -> list[tuple[str, str]]:
    """Bootstrap files (helmfile) that install the Prometheus Operator CRDs once, before Flux runs."""
    out = []
    for path in sorted((repo / "bootstrap").rglob("*.y*ml")) if (repo / "bootstrap").is_dir() else []:
        rel = path.relative_to(repo).as_posix()
        text = repo_paths.read_text(repo, rel)  # bootstrap/ is read like kubernetes/: inside the repo, bounded
        if text is None:
            continue
        try:
            docs = yamlio.load_all(text)
        except (yamlio.YAMLError, ValueError, RecursionError):
            continue
        for doc in docs:
            for release in (doc.get("releases") or []) if isinstance(doc, dict) else []:
                if not isinstance(release, dict):
                    continue
                chart = str(release.get("chart") or release.get("name") or "").rstrip("/").rsplit("/", 1)[-1]
                if chart in ("prometheus-operator-crds", "kube-prometheus-stack"):
                    version = f" {release['version']}" if release.get("version") else ""
                    out.append((rel, f"{rel} at bootstrap ({chart}{version}; applied once, nothing upgrades it)"))
                    break
    return list(dict.fromkeys(out))


def _applied_by(rel: str, kustomizations: list[tuple[str, str]]) -> str | None:
    """The Flux Kustomization (namespace/name) whose path holds ``rel`` (the deepest; never the apps one)."""
    best = None
    for where, path in kustomizations:
        if rel.startswith(path + "/") and (best is None or len(path) > len(best[1])):
            best = (where, path)
    return best[0] if best else None


def _scan(repo: Path, k8s: Path, found: Discovery, own_namespace: str = "observability") -> None:
    releases: list[tuple[dict[str, Any], str, str]] = []
    kustomizations: list[tuple[str, str]] = []  # (namespace/name, path) of the Flux Kustomizations of apps
    defined_in: dict[tuple[str, str], str] = {}  # ("store"|"storage", name) -> the file defining it
    oci_charts: dict[str, str] = {}  # OCIRepository name -> chart name (last part of its URL)
    app_sources: list[FluxSource] = []
    unreadable: list[str] = []  # one line per manifest discovery could not read
    for path in sorted(k8s.rglob("*.y*ml")):
        if ".sops." in path.name:
            text = path.read_text(encoding="utf-8", errors="replace")
            if "cluster-secrets" in text and f"{DOMAIN_VARIABLE}:" in text:
                found.domain_variable = DOMAIN_VARIABLE
                found.substitute_from = "cluster-secrets"
            continue
        for doc in _documents(path, path.relative_to(repo).as_posix(), unreadable):
            kind = doc.get("kind")
            meta = doc.get("metadata") or {}
            name = meta.get("name")
            if not isinstance(name, str) or not isinstance(meta, dict):
                continue
            namespace = meta.get("namespace") or _namespace_from_path(repo, path)
            rel = path.relative_to(repo).as_posix()
            api = str(doc.get("apiVersion") or "")
            if kind == "Gateway":
                section = None
                listeners = []
                for listener in (doc.get("spec") or {}).get("listeners") or []:
                    if not isinstance(listener, dict):
                        continue
                    listeners.append(str(listener.get("name")))
                    allowed = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from")
                    if section is None and listener.get("protocol") == "HTTPS" and allowed == "All":
                        section = listener.get("name")
                found.gateways.append(Gateway(name, namespace, section, tuple(listeners)))
            elif kind == "ClusterSecretStore":
                provider = (doc.get("spec") or {}).get("provider") or {}
                connect = provider.get("onepassword") or {}
                vaults = sorted((connect.get("vaults") or {}).items(), key=lambda kv: kv[1])
                sdk_vault = (provider.get("onepasswordSDK") or {}).get("vault")
                if connect or sdk_vault:
                    token = (((connect.get("auth") or {}).get("secretRef") or {}).get("connectTokenSecretRef") or {}) if connect else {}
                    token_secret = ((str(token.get("namespace") or namespace), str(token["name"]), str(token.get("key") or "token"))
                                    if isinstance(token, dict) and token.get("name") else None)
                    host = connect.get("connectHost") if connect else None
                    found.secret_stores.append(SecretStore(name, tuple(v for v, _ in vaults) or ((sdk_vault,) if sdk_vault else ()),
                                                           str(host) if host else None, token_secret, namespace))
                    defined_in.setdefault(("store", name), rel)
            elif kind == "StorageClass":
                _add_storage_class(found, name, str((meta.get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class")) == "true")
                defined_in.setdefault(("storage", name), rel)
            elif kind == "HelmRelease":
                releases.append((doc, namespace, rel))
            elif kind == "OCIRepository":
                url = str((doc.get("spec") or {}).get("url") or "")
                if url:
                    oci_charts[name] = url.rstrip("/").rsplit("/", 1)[-1]
            elif kind == "GitRepository":
                found.sources.append(FluxSource("GitRepository", namespace, name, rel))
            elif kind == "FluxInstance":
                sync = (doc.get("spec") or {}).get("sync") or {}
                if sync:
                    found.flux_operator = True
                    found.sources.append(FluxSource(str(sync.get("kind") or "GitRepository"), namespace,
                                                    str(sync.get("name") or namespace), f"FluxInstance {name} in {rel}"))
            elif kind == "Kustomization" and api.startswith("kustomize.toolkit.fluxcd.io"):
                spec = doc.get("spec") or {}
                if isinstance(spec.get("path"), str) and not _path_points_at_apps(spec["path"]):
                    parts = [p for p in spec["path"].strip().split("/") if p not in ("", ".")]
                    kustomizations.append((f"{namespace}/{name}", "/".join(parts)))
                if _path_points_at_apps(spec.get("path")) and found.apps_kustomization is None:
                    found.apps_kustomization = f"{namespace}/{name}"
                    ref = spec.get("sourceRef") or {}
                    if isinstance(ref.get("name"), str):
                        app_sources.append(FluxSource(str(ref.get("kind") or "GitRepository"), str(ref.get("namespace") or namespace),
                                                      ref["name"], f"read by the Kustomization {name}"))
    found.notes += unreadable[:MAX_UNREADABLE_NOTES]
    if len(unreadable) > MAX_UNREADABLE_NOTES:
        found.notes.append(f"... and {len(unreadable) - MAX_UNREADABLE_NOTES} more manifest(s) discovery could not read")
    own = tuple(f"kubernetes/apps/{own_namespace}/{app}/" for app in APP_NAMES)
    for doc, namespace, rel in releases:
        chart = _chart_of(doc, oci_charts)
        if chart in ("prometheus-operator-crds", "kube-prometheus-stack") and not rel.startswith(own):
            where = f"{namespace}/{doc['metadata']['name']}"
            found.operator_crds.append((f"helmrelease:{where}", f"the HelmRelease {where} ({chart}, {rel})"))
        values = (doc.get("spec") or {}).get("values") or {}
        if chart == "flux-instance":
            found.flux_operator = True
            sync = ((values.get("instance") or {}).get("sync") or {}) if isinstance(values, dict) else {}
            if sync:
                found.sources.append(FluxSource(str(sync.get("kind") or "GitRepository"), namespace,
                                                str(sync.get("name") or namespace), f"the flux-instance HelmRelease {doc['metadata']['name']}"))
        elif chart in PROVISIONER_CHARTS and isinstance(values, dict):
            for cls, default in PROVISIONER_CHARTS[chart](values):
                _add_storage_class(found, cls, default)
                defined_in.setdefault(("storage", cls), rel)
    # Connect stores first: obs-wizard checks items through 1Password Connect.
    found.secret_stores.sort(key=lambda s: 0 if "connect" in s.name or s.name == "onepassword" else 1)
    for (what, name), rel in defined_in.items():
        by = _applied_by(rel, kustomizations)
        if by:
            (found.store_kustomizations if what == "store" else found.storage_kustomizations)[name] = by
    known = {(s.kind, s.namespace, s.name) for s in found.sources}
    found.sources += [s for s in app_sources if (s.kind, s.namespace, s.name) not in known]


def _add_storage_class(found: Discovery, name: str, default: bool) -> None:
    if name not in found.storage_classes:
        found.storage_classes.append(name)
    if default:
        found.default_storage_class = name
